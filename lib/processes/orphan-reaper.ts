// Covered by spec/integration/processes/orphan-reaper.spec.ts (the owner SIGKILLed) and spec/e2e/start-process.spec.ts.
// Run as its own detached process (`node orphan-reaper.js`) by reaper-client.ts; imports nothing of pgdock's but group-identity.ts (node:fs only).
import { groupStillOurs, membersOf } from './group-identity.js';

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

function signal(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // already gone
  }
}

async function reapAll(): Promise<void> {
  const ours = [...groups].filter(([pgid, group]) => groupStillOurs(pgid, group.startTime));
  for (const [pgid] of ours) signal(pgid, 'SIGTERM');
  const grace = Math.max(0, ...ours.map(([, group]) => group.graceMs));
  const deadline = Date.now() + grace;
  while (Date.now() < deadline && ours.some(([pgid]) => membersOf(pgid).length > 0)) await new Promise((r) => setTimeout(r, 50));
  for (const [pgid, group] of ours) if (groupStillOurs(pgid, group.startTime)) signal(pgid, 'SIGKILL');
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
