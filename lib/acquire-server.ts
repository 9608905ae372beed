import { accessSync, constants, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createDebug } from './debug.js';
import { ErrorCodes, PgdockError, redactSecrets } from './errors.js';
import { withFileLock } from './file-lock.js';
import { sweepLeases, writeLease } from './leases.js';
import { resolveOptions, type PgdockOptions, type ResolvedOptions } from './options.js';
import { DockerProvider, LABELS } from './providers/docker.js';
import { probeSql, waitForSql } from './readiness.js';
import { currentRun, type RunIdentity } from './run-identity.js';
import { projectKey, serverKey, serverPaths, type ServerPaths } from './server-key.js';
import type { ServerInfo } from './server-info.js';
import { clearState, readState, writeState } from './state-file.js';

const log = createDebug('server');

/** Makes the state dir, or says plainly that it cannot be written. */
export function ensureStateDir(paths: ServerPaths, options: ResolvedOptions): void {
  try {
    mkdirSync(paths.leasesDir, { recursive: true, mode: 0o700 });
    accessSync(paths.dir, constants.W_OK);
  } catch (err) {
    throw new PgdockError(
      ErrorCodes.STATE_DIR_NOT_WRITABLE,
      `pgdock cannot write its state dir ${options.stateDir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
      'Point PGDOCK_STATE_DIR at a folder this user can write.',
      { stateDir: options.stateDir },
    );
  }
}

function toPgdockError(err: unknown): PgdockError {
  if (err instanceof PgdockError) return err;
  const message = redactSecrets((err as Error)?.message ?? String(err));
  return new PgdockError(
    ErrorCodes.CONTAINER_FAILED,
    `Starting the Postgres server failed: ${message}`,
    'Run again with DEBUG=pgdock:* for details; `npx pgdock status` shows what is running.',
  );
}

function containerName(options: ResolvedOptions): string {
  return `pgdock-${projectKey(options)}-${serverKey(options)}`;
}

function labelsFor(options: ResolvedOptions): Record<string, string> {
  return {
    [LABELS.marker]: '1',
    [LABELS.key]: serverKey(options),
    [LABELS.project]: projectKey(options),
    [LABELS.projectRoot]: options.projectRoot,
    [LABELS.stateDir]: serverPaths(options).dir,
  };
}

/** With reuse off, this project's containers of other configs whose runs are gone are leftovers. */
async function sweepOtherConfigs(docker: DockerProvider, options: ResolvedOptions): Promise<void> {
  const mine = await docker.findContainers({ [LABELS.project]: projectKey(options) });
  for (const c of mine) {
    const dir = c.labels[LABELS.stateDir];
    if (c.labels[LABELS.key] === serverKey(options) || !dir) continue;
    if (sweepLeases(join(dir, 'leases')).length === 0) {
      log('sweeping leftover container %s of another config', c.id.slice(0, 12));
      await docker.remove(c.id);
      clearState(join(dir, 'server.json'));
    }
  }
}

/** Finds this config's container by labels and waits for it, or creates it. Runs under the lock. */
async function startOrAdopt(options: ResolvedOptions): Promise<ServerInfo> {
  const docker = await DockerProvider.connect();
  const labels = labelsFor(options);
  const deadline = Date.now() + options.startupTimeout;
  // Independent look-ups go out together: start-up time is what users feel most.
  const [found, pgdata] = await Promise.all([
    docker.findContainers({ [LABELS.project]: labels[LABELS.project]!, [LABELS.key]: labels[LABELS.key]! }),
    docker.ensureImage(options.image),
    options.reuse ? undefined : sweepOtherConfigs(docker, options),
  ]);
  let id: string | undefined;
  for (const c of found) {
    if (!id && c.state === 'running') {
      id = c.id;
      log('adopting running container %s', c.id.slice(0, 12));
    } else {
      log('removing leftover container %s (%s)', c.id.slice(0, 12), c.state);
      await docker.remove(c.id);
    }
  }
  if (!id) {
    const started = Date.now();
    id = await docker.createServer(options, containerName(options), labels, pgdata);
    log('started %s in %d ms', id.slice(0, 12), Date.now() - started);
  }
  const { info, running } = await docker.describe(id, options.image);
  const ready = running ? await waitForSql(info, deadline, () => docker.isRunning(id)) : 'died';
  if (ready === true) return info;
  const tail = await docker.logTail(id);
  await docker.remove(id);
  if (ready === 'died') {
    throw new PgdockError(
      ErrorCodes.CONTAINER_FAILED,
      `The Postgres container ${id.slice(0, 12)} (${options.image}) exited before it accepted SQL. Its last log lines:\n${tail}`,
      'Check PGDOCK_POSTGRES_ARGS and PGDOCK_IMAGE; the log lines above usually name the bad setting.',
      { containerId: id, image: options.image },
    );
  }
  throw new PgdockError(
    ErrorCodes.STARTUP_TIMEOUT,
    `The Postgres container ${id.slice(0, 12)} (${options.image}) did not answer SQL within ${options.startupTimeout} ms. Its last log lines:\n${tail}`,
    'Raise PGDOCK_STARTUP_TIMEOUT on slow machines, or check the log lines above.',
    { containerId: id, image: options.image },
  );
}

/**
 * The leader-first protocol, for a given run. Under the lock: replay this run's recorded failure,
 * attach to a ready server, or (the leader) find-or-start one and record `ready` or the failure.
 * Outside the lock: prove a cached server with a SQL round trip; if it is gone, lead again.
 */
export async function acquireServerFor(options: ResolvedOptions, run: RunIdentity): Promise<ServerInfo> {
  const paths = serverPaths(options);
  const key = serverKey(options);
  ensureStateDir(paths, options);
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
          const fresh = await startOrAdopt(options);
          writeState(paths.stateFile, { version: 1, status: 'ready', key, info: fresh, readyAt: new Date().toISOString() });
          writeLease(paths.leasesDir, run);
          return { info: fresh, cached: false };
        } catch (err) {
          const error = toPgdockError(err);
          writeState(paths.stateFile, { version: 1, status: 'failed', key, runId: run.runId, error: error.toJSON(), failedAt: new Date().toISOString() });
          throw error;
        }
      },
      { timeoutMs: options.lockTimeout, holderFile: paths.holderFile },
    );
    if (!cached || (await probeSql(info))) return info;
    log('cached server %s did not answer; rebuilding from Docker labels', info.containerId?.slice(0, 12));
    distrust = info.containerId;
  }
  throw toPgdockError(new Error('the server kept disappearing while pgdock attached to it'));
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
  const options = resolveOptions(input);
  const run = currentRun();
  const info = await acquireServerFor(options, run);
  const { releaseLease } = await import('./release-server.js');
  const handle = { ...info } as ServerHandle;
  Object.defineProperty(handle, 'password', { value: info.password, enumerable: false });
  Object.defineProperty(handle, 'release', {
    enumerable: false,
    value: async () => {
      if (!run.managed) await releaseLease(serverPaths(options).dir, run.runId, options);
    },
  });
  return handle;
}

