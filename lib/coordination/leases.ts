import { readdirSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createDebug } from '../debug.js';
import { ensurePrivateDir, readPrivateFile } from './private-dir.js';
import { isRecordedProcessAlive, processStartTime } from './process-liveness.js';
import type { RunIdentity } from './run-identity.js';
import { readJson, writeJson } from './state-file.js';

export { isProcessAlive, processStartTime } from './process-liveness.js';

const log = createDebug('lease');

/** A run's claim on a server: while a live lease remains, nobody removes the server. */
export interface Lease {
  runId: string;
  pid: number;
  pidStart?: string;
  hostname: string;
  createdAt: string;
}

/** Run ids are UUIDs pgdock made; anything else in their place is not ours to trust. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9-]{1,64}$/;

/** A well-formed lease; anything else read from disk (or the server) is garbage, never live. */
export function isLease(value: unknown): value is Lease {
  const v = value as Partial<Lease> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.runId === 'string' &&
    RUN_ID_PATTERN.test(v.runId) &&
    Number.isInteger(v.pid) &&
    (v.pid as number) > 0 &&
    typeof v.hostname === 'string' &&
    typeof v.createdAt === 'string' &&
    (v.pidStart === undefined || typeof v.pidStart === 'string')
  );
}

export function isLeaseLive(lease: Lease): boolean {
  return isRecordedProcessAlive(lease, hostname());
}

function leaseFile(leasesDir: string, runId: string): string {
  return join(leasesDir, `${runId}.json`);
}

/** The lease a run holds, as written to disk and to the server. */
export function leaseFor(run: RunIdentity): Lease {
  return { runId: run.runId, pid: run.ownerPid, pidStart: processStartTime(run.ownerPid), hostname: hostname(), createdAt: new Date().toISOString() };
}

export function writeLease(leasesDir: string, run: RunIdentity): void {
  ensurePrivateDir(leasesDir);
  writeJson(leaseFile(leasesDir, run.runId), leaseFor(run));
}

export function hasLease(leasesDir: string, runId: string): boolean {
  return readPrivateFile(leaseFile(leasesDir, runId)) !== undefined;
}

export function removeLease(leasesDir: string, runId: string): void {
  rmSync(leaseFile(leasesDir, runId), { recursive: true, force: true });
}

/** The well-formed leases in `leasesDir`; malformed ones are swept as they are read. */
export function readLeases(leasesDir: string): Lease[] {
  let names: string[];
  try {
    names = readdirSync(leasesDir);
  } catch {
    return [];
  }
  const leases: Lease[] = [];
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const lease = readJson<Lease>(join(leasesDir, name), isLease);
    if (lease) leases.push(lease);
  }
  return leases;
}

/** Removes leases whose owner is gone (crashed runs) and returns the live ones. */
export function sweepLeases(leasesDir: string): Lease[] {
  const live: Lease[] = [];
  for (const lease of readLeases(leasesDir)) {
    if (isLeaseLive(lease)) live.push(lease);
    else {
      log('sweeping lease of dead run %s (pid %d)', lease.runId, lease.pid);
      removeLease(leasesDir, lease.runId);
    }
  }
  return live;
}

/**
 * The live runs' leases on the server whose state folder is `stateFolder` (its `leases/`); dead
 * runs' lease files are removed on the way. How a provider or the CLI asks whether a server is held.
 */
export function liveLeasesOf(stateFolder: string): Lease[] {
  return sweepLeases(join(stateFolder, 'leases'));
}
