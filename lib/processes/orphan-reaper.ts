// Covered by spec/integration/processes/orphan-reaper.spec.ts (the owner SIGKILLed) and spec/e2e/start-process.spec.ts.
// Run as its own detached process (`node orphan-reaper.js`) by reaper-client.ts; imports nothing of pgdock's.
import { readdirSync, readFileSync } from 'node:fs';

/**
 * The watchdog of one test process's started processes. Its stdin is a pipe from that process,
 * which writes `+<pgid> <start time> <grace ms>` when it starts a group and `-<pgid>` when the group
 * is gone. The pipe reaches end of file only once the owner is gone, however it went (a SIGKILL
 * runs no handler): then every group still recorded is stopped. No pid is trusted: the end of the
 * pipe says the owner died, and a group is signalled only when it can still be ours.
 */

interface Group {
  startTime: string;
  graceMs: number;
}

const groups = new Map<number, Group>();

function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Pids whose process group is `pgid` (field 5 of /proc/<pid>/stat). */
function membersOf(pgid: number): number[] {
  const members: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const fields = statFields(Number(name));
    if (fields && Number(fields[2]) === pgid) members.push(Number(name));
  }
  return members;
}

/**
 * A group is ours while its leader is the process recorded (same kernel start time), or, with the
 * leader gone, while members of it remain: Linux does not hand out a pid that still names a process
 * group, so those members descend from our leader. A leader pid running another program is not ours.
 */
function stillOurs(pgid: number, group: Group): boolean {
  const leader = statFields(pgid);
  if (leader) return leader[19] === group.startTime;
  return membersOf(pgid).length > 0;
}

function signal(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // already gone
  }
}

async function reapAll(): Promise<void> {
  const ours = [...groups].filter(([pgid, group]) => stillOurs(pgid, group));
  for (const [pgid] of ours) signal(pgid, 'SIGTERM');
  const grace = Math.max(0, ...ours.map(([, group]) => group.graceMs));
  const deadline = Date.now() + grace;
  while (Date.now() < deadline && ours.some(([pgid]) => membersOf(pgid).length > 0)) await new Promise((r) => setTimeout(r, 50));
  for (const [pgid, group] of ours) if (stillOurs(pgid, group)) signal(pgid, 'SIGKILL');
}

function apply(line: string): void {
  const added = /^\+(\d+) (\S+) (\d+)$/.exec(line);
  if (added) groups.set(Number(added[1]), { startTime: added[2]!, graceMs: Number(added[3]) });
  const removed = /^-(\d+)$/.exec(line);
  if (removed) groups.delete(Number(removed[1]));
}

function main(): void {
  let pending = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) apply(line);
  });
  const finish = (): void => {
    apply(pending);
    void reapAll().finally(() => process.exit(0));
  };
  process.stdin.on('end', finish);
  process.stdin.on('error', finish);
  // Its owner's Ctrl-C is not its own: it runs until the pipe ends.
  for (const sig of ['SIGINT', 'SIGHUP'] as const) process.on(sig, () => {});
}

main();
