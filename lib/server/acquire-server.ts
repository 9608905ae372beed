import { createDebug } from '../debug.js';
import type { ServerStart } from '../metrics/process-metrics.js';
import { ErrorCodes, PgdockError, redactSecrets } from '../errors.js';
import { withFileLock } from '../coordination/file-lock.js';
import { ensureStateDir as ensureWritableDir } from '../coordination/private-dir.js';
import { leaseFor, sweepLeases, writeLease } from '../coordination/leases.js';
import { recordServerLease } from './server-leases.js';
import { resolveOptions, type PgdockOptions, type ResolvedOptions } from '../config/options.js';
import { chooseProvider, forgetProviderChoice } from './choose-provider.js';
import { loadProvider } from './providers/load-provider.js';
import { probeSql } from './readiness.js';
import { currentRun, type RunIdentity } from '../coordination/run-identity.js';
import { serverKey, serverPaths, type ServerOptions } from '../coordination/server-key.js';
import { noteServer } from './server-gone.js';
import type { ServerInfo } from './server-info.js';
import { readState, writeState } from './server-state.js';

const log = createDebug('server');

function toPgdockError(err: unknown): PgdockError {
  if (err instanceof PgdockError) return err;
  const message = redactSecrets((err as Error)?.message ?? String(err));
  return new PgdockError(
    ErrorCodes.CONTAINER_FAILED,
    `Starting the Postgres server failed: ${message}`,
    'Run again with DEBUG=pgdock:* for details; `npx pgdock status` shows what is running.',
  );
}

/**
 * The leader-first protocol, for a given run. `onReady` hears how the server was got (run metrics). Under the lock: replay this run's recorded failure,
 * attach to a ready server, or (the leader) find-or-start one and record `ready` or the failure.
 * Outside the lock: prove a cached server with a SQL round trip; if it is gone, lead again.
 */
export async function acquireServerFor(resolved: ResolvedOptions, run: RunIdentity, onReady?: (start: ServerStart) => void): Promise<ServerInfo> {
  const asked = performance.now();
  ensureWritableDir(resolved.stateDir, resolved);
  const options: ServerOptions = await chooseProvider(resolved, run);
  const provider = await loadProvider(options.provider);
  const paths = serverPaths(options);
  const key = serverKey(options);
  ensureWritableDir(paths.leasesDir, options);
  let distrust: string | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const { info, cached } = await withFileLock(
      paths.stateFile,
      async () => {
        const state = readState(paths.stateFile);
        if (state?.status === 'failed' && state.runId === run.runId) throw PgdockError.fromJSON(state.error);
        sweepLeases(paths.leasesDir);
        if (state?.status === 'ready' && state.key === key && state.info.containerId !== distrust) {
          writeLease(paths.leasesDir, run);
          return { info: state.info, cached: true };
        }
        try {
          const fresh = await provider.startOrAdopt(options, paths);
          writeState(paths.stateFile, { version: 1, status: 'ready', key, info: fresh, readyAt: new Date().toISOString() });
          writeLease(paths.leasesDir, run);
          return { info: fresh, cached: false };
        } catch (err) {
          const error = toPgdockError(err);
          writeState(paths.stateFile, { version: 1, status: 'failed', key, provider: options.provider, runId: run.runId, error: error.toJSON(), failedAt: new Date().toISOString() });
          throw error;
        }
      },
      { timeoutMs: options.lockTimeout },
    );
    // The round trip that proves a cached server answers also records the lease where every run sees it.
    const answered = info.provider === 'external' ? !cached || (await probeSql(info)) : await recordServerLease(info, leaseFor(run));
    if (answered) {
      onReady?.({ provider: info.provider, start: cached ? 'warm' : 'cold', readyMs: Math.round(performance.now() - asked) });
      return info;
    }
    log('cached %s server %s did not answer; rebuilding from what the provider knows', info.provider, info.containerId?.slice(0, 12) ?? info.pid);
    distrust = info.containerId;
  }
  throw toPgdockError(new Error('the server kept disappearing while pgdock attached to it'));
}

/**
 * A warm start, in mocha's main process: the server this project's config already has running,
 * with this run's lease taken on it (one lock, one SQL round trip), or undefined when there is none
 * ready (nothing is started: the first test to use `this.pg` does that). Never throws: anything
 * unexpected leaves the start to the first test, which reports it.
 */
export async function attachWarmServer(resolved: ResolvedOptions, run: RunIdentity, onReady?: (start: ServerStart) => void): Promise<ServerInfo | undefined> {
  try {
    // Looked for before any provider is chosen: a cold start asks no provider, takes no lock, writes nothing.
    const candidates: ServerOptions['provider'][] = resolved.provider !== 'auto' ? [resolved.provider] : resolved.url ? ['external'] : ['docker', 'embedded'];
    const isReady = (options: ServerOptions): boolean => {
      const state = readState(serverPaths(options).stateFile);
      return state?.status === 'ready' && state.key === serverKey(options);
    };
    const found = candidates.filter((provider) => isReady({ ...resolved, provider }));
    if (found.length === 0) return undefined;
    const asked = performance.now();
    ensureWritableDir(resolved.stateDir, resolved);
    const options: ServerOptions = await chooseProvider(resolved, run);
    if (!found.includes(options.provider)) return undefined; // say Docker stopped answering since: the first test starts what the run chose
    const paths = serverPaths(options);
    ensureWritableDir(paths.leasesDir, options);
    const info = await withFileLock(
      paths.stateFile,
      async () => {
        const state = readState(paths.stateFile);
        if (state?.status !== 'ready' || state.key !== serverKey(options)) return undefined;
        writeLease(paths.leasesDir, run);
        return state.info;
      },
      { timeoutMs: options.lockTimeout },
    );
    if (!info) return undefined;
    const answered = info.provider === 'external' ? await probeSql(info) : await recordServerLease(info, leaseFor(run));
    if (!answered) return undefined;
    onReady?.({ provider: info.provider, start: 'warm', readyMs: Math.round(performance.now() - asked) });
    return info;
  } catch (err) {
    log('no warm attach: %s', redactSecrets((err as Error)?.message ?? String(err)));
    return undefined;
  }
}

/** A server the caller may use; `release()` gives up this process's claim (no-op under the Mocha plugin). */
export interface ServerHandle extends ServerInfo {
  release(): Promise<void>;
}

/**
 * Finds or starts the shared Postgres server and waits until it answers SQL. Safe to call from
 * many processes at once: exactly one starts the server, the rest attach.
 */
export async function acquireServer(input: PgdockOptions = {}): Promise<ServerHandle> {
  const resolved = resolveOptions(input);
  const run = currentRun();
  const info = await acquireServerFor(resolved, run);
  noteServer(info);
  const options = await chooseProvider(resolved, run);
  const { releaseLease } = await import('./release-server.js');
  const handle = { ...info } as ServerHandle;
  Object.defineProperty(handle, 'password', { value: info.password, enumerable: false });
  Object.defineProperty(handle, 'release', {
    enumerable: false,
    value: async () => {
      if (run.managed) return;
      forgetProviderChoice(resolved, run.runId);
      await releaseLease(serverPaths(options).dir, run.runId, options);
    },
  });
  return handle;
}

