// Process listing from /proc, for the specs of startProcess(): what still runs after a scope, a Ctrl-C or a kill.
import { readdirSync, readFileSync } from 'node:fs';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function pids(): number[] {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number);
}

/** Pids of the process group `pgid` (zombies not yet reaped included). */
export function groupMembers(pgid: number): number[] {
  return pids().filter((pid) => {
    const stat = read(`/proc/${pid}/stat`);
    return stat !== undefined && Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === pgid;
  });
}

/** Pids whose arguments or environment contain `marker` (this user's processes only: others' environ cannot be read). */
export function processesWithMarker(marker: string): number[] {
  return pids().filter((pid) => pid !== process.pid && ((read(`/proc/${pid}/cmdline`) ?? '').includes(marker) || (read(`/proc/${pid}/environ`) ?? '').includes(marker)));
}

/** Polls `check` until it is true or `ms` passed; returns its last answer. */
export async function eventually(check: () => boolean, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A `node -e` script's arguments for startProcess: `[ '-e', source ]`. */
export function nodeScript(source: string): { command: string; args: string[] } {
  return { command: process.execPath, args: ['-e', source] };
}
