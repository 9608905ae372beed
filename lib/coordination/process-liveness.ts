// Covered by spec/integration/coordination/file-lock.spec.ts (dead and recycled owners).
import { readFileSync } from 'node:fs';

/** The kernel's start time of a pid (Linux), so a recycled pid is not mistaken for the one recorded. */
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

/** A process recorded as (pid, start time) on a host still runs; another host's cannot be told, so it does. */
export function isRecordedProcessAlive(record: { pid: number; pidStart?: string | undefined; hostname: string }, host: string): boolean {
  if (record.hostname !== host) return true;
  if (!isProcessAlive(record.pid)) return false;
  return record.pidStart === undefined || record.pidStart === processStartTime(record.pid);
}

/** A process's arguments (Linux), or undefined where they cannot be read. */
export function processArguments(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
}
