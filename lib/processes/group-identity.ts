// Covered by spec/integration/processes/process-group.spec.ts and spec/integration/processes/orphan-reaper.spec.ts.
// Imports node:fs only: orphan-reaper.ts (a process of its own) loads it too.
import { readdirSync, readFileSync } from 'node:fs';

/** The fields of /proc/<pid>/stat after the command name (field 3 on), or undefined when there is no such process (or no /proc). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** A process's kernel start time (field 22 of /proc/<pid>/stat): with its pid, it names one process for good. */
export function startTimeOf(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

/** Pids whose process group is `pgid` (field 5 of /proc/<pid>/stat), zombies included. */
export function membersOf(pgid: number): number[] {
  const members: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const fields = statFields(Number(name));
    if (fields && Number(fields[2]) === pgid) members.push(Number(name));
  }
  return members;
}

/**
 * Whether the group `pgid`, whose leader started at `leaderStart`, still exists and is still the one
 * started: while its leader is there, only if it is the same process (same start time; a pid running
 * another program is not ours). With the leader gone (reaped), while members of it remain: Linux does
 * not hand out a pid that still names a process group, so those members descend from our leader.
 */
export function groupStillOurs(pgid: number, leaderStart: string): boolean {
  const leader = statFields(pgid);
  if (leader) return leader[19] === leaderStart;
  return membersOf(pgid).length > 0;
}
