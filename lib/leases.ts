import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createDebug } from './debug.js';
import type { RunIdentity } from './run-identity.js';

const log = createDebug('lease');

/** A run's claim on a server: while a live lease remains, nobody removes the server. */
export interface Lease {
  runId: string;
  pid: number;
  pidStart?: string;
  hostname: string;
  createdAt: string;
}

/** The kernel's start time of a pid (Linux), so a recycled pid is not mistaken for the owner. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` runs. A killed process whose parent died too stays a zombie until init reaps it
 * (seconds, on some machines): signal 0 still reaches it, so its state (Linux) is read as well.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc (not Linux), or it just went: signal 0 said it was there
  }
}

export function isLeaseLive(lease: Lease): boolean {
  if (lease.hostname !== hostname()) return true; // another machine's run: we cannot tell, keep it
  if (!isProcessAlive(lease.pid)) return false;
  return lease.pidStart === undefined || lease.pidStart === processStartTime(lease.pid);
}

function leaseFile(leasesDir: string, runId: string): string {
  return join(leasesDir, `${runId}.json`);
}

export function writeLease(leasesDir: string, run: RunIdentity): void {
  mkdirSync(leasesDir, { recursive: true });
  const lease: Lease = {
    runId: run.runId,
    pid: run.ownerPid,
    pidStart: processStartTime(run.ownerPid),
    hostname: hostname(),
    createdAt: new Date().toISOString(),
  };
  writeFileSync(leaseFile(leasesDir, run.runId), `${JSON.stringify(lease)}\n`);
}

export function hasLease(leasesDir: string, runId: string): boolean {
  try {
    readFileSync(leaseFile(leasesDir, runId));
    return true;
  } catch {
    return false;
  }
}

export function removeLease(leasesDir: string, runId: string): void {
  rmSync(leaseFile(leasesDir, runId), { force: true });
}

export function readLeases(leasesDir: string): Lease[] {
  let names: string[];
  try {
    names = readdirSync(leasesDir);
  } catch {
    return [];
  }
  const leases: Lease[] = [];
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    try {
      leases.push(JSON.parse(readFileSync(join(leasesDir, name), 'utf8')) as Lease);
    } catch {
      rmSync(join(leasesDir, name), { force: true });
    }
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
