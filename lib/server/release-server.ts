import { readdirSync, rmdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { join } from 'node:path';
import { createDebug } from '../debug.js';
import { withFileLock } from '../coordination/file-lock.js';
import { hasLease, removeLease, sweepLeases } from '../coordination/leases.js';
import type { ResolvedOptions } from '../config/options.js';
import { existsSync } from 'node:fs';
import type { ConcreteProvider } from '../config/options.js';
import { loadProvider } from './providers/load-provider.js';
import { projectKey } from '../coordination/server-key.js';
import { clearState } from '../coordination/state-file.js';
import { readState, type ServerState } from './server-state.js';
import type { ServerInfo } from './server-info.js';
import { otherLiveServerLeases, removeServerLease } from './server-leases.js';

const log = createDebug('server');

/** What a release did. */
export interface ReleaseResult {
  /** Servers (containers, postmasters) removed because this was the last live lease and reuse is off. */
  removed: string[];
}

/**
 * Gives up one run's lease on the server whose files are in `dir`. The last live lease removes the
 * container unless reuse is on. A run that never acquired (no lease) touches nothing, not even Docker.
 */
export async function releaseLease(dir: string, runId: string, options: Pick<ResolvedOptions, 'reuse' | 'lockTimeout'>): Promise<ReleaseResult> {
  const leasesDir = join(dir, 'leases');
  if (!hasLease(leasesDir, runId)) return { removed: [] };
  const stateFile = join(dir, 'server.json');
  const result = await withFileLock(
    stateFile,
    async () => {
      removeLease(leasesDir, runId);
      const live = sweepLeases(leasesDir);
      const state = readState(stateFile);
      const name = providerOf(dir, state);
      // An external server is never removed by pgdock; with reuse on, its record stays, for the next run's warm attach.
      if (live.length > 0 || options.reuse) {
        if (state?.status === 'ready' && name !== 'external') await removeServerLease(state.info, runId);
        log('released lease %s; %d live lease(s) remain, reuse %s', runId, live.length, options.reuse);
        return { removed: [], last: false };
      }
      const recorded = state?.status === 'ready' ? state.info : undefined;
      // Runs of other state folders (other options, other users) may share this server: it asks them.
      const others = recorded && name !== 'external' ? await otherLiveServerLeases(recorded, runId) : undefined;
      if (others?.length) {
        log('released lease %s; kept the server: %d live run(s) of other state folders hold it (pid %s)', runId, others.length, others.map((l) => l.pid).join(', '));
        return { removed: [], last: true };
      }
      const provider = await loadProvider(name);
      const ids = await provider.removeServer(dir, recorded);
      clearState(stateFile);
      log('last lease %s released; removed %d %s server(s)', runId, ids.length, provider.name);
      return { removed: ids, last: true };
    },
    { timeoutMs: options.lockTimeout },
  );
  // The last lease is gone: nothing is left to coordinate (an external server removes nothing, but its folder goes too).
  if (result.last) removeEmptyStateFolders(dir);
  return { removed: result.removed };
}

/** Which provider served the server whose files are in `dir`: the state says, else the files do. */
function providerOf(dir: string, state: ServerState | null): ConcreteProvider {
  if (state?.status === 'ready') return state.info.provider;
  if (state?.status === 'failed' && state.provider) return state.provider;
  return existsSync(join(dir, 'embedded.json')) ? 'embedded' : 'docker';
}

/**
 * Nothing left to coordinate: removes a server's empty state folders (and the state dir when it is
 * empty). rmdir fails, and the folder stays, if another process has just put a lease or lock there.
 */
export function removeEmptyStateFolders(dir: string): void {
  for (const folder of [join(dir, 'leases'), dir, dirname(dir)]) {
    try {
      rmdirSync(folder);
    } catch {
      return;
    }
  }
}

/**
 * Releases every lease `runId` holds among this project's servers (a run may have used several
 * configs). Before each release, `beforeRelease` gets the server if it is recorded ready: the Mocha
 * adapter sweeps the run's schemas and databases there (isolation sits above this room, so it is
 * passed in, not imported).
 */
export async function releaseRunLeases(options: ResolvedOptions, runId: string, beforeRelease?: (server: ServerInfo) => Promise<void>): Promise<ReleaseResult> {
  const prefix = `${projectKey(options)}-`;
  let names: string[];
  try {
    names = readdirSync(options.stateDir);
  } catch {
    return { removed: [] };
  }
  const removed: string[] = [];
  for (const name of names.filter((n) => n.startsWith(prefix))) {
    const dir = join(options.stateDir, name);
    if (!hasLease(join(dir, 'leases'), runId)) continue;
    if (beforeRelease) {
      const state = readState(join(dir, 'server.json'));
      if (state?.status === 'ready') await beforeRelease(state.info);
    }
    removed.push(...(await releaseLease(dir, runId, options)).removed);
  }
  return { removed };
}
