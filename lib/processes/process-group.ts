// Covered by spec/integration/processes/stop.spec.ts (SIGTERM ignored, grandchildren, scope end).

/**
 * Sends `signal` to every process of the group `pgid` (a started process leads its own group, so
 * this reaches what it started too). False when the group is gone.
 */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Whether any process of the group still exists (zombies not yet reaped included). */
export function groupAlive(pgid: number): boolean {
  return signalGroup(pgid, 0);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the group is gone or `ms` passed; true when it is gone. */
export async function waitGroupGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (let pause = 10; ; pause = Math.min(pause * 2, 100)) {
    if (!groupAlive(pgid)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(pause, Math.max(1, deadline - Date.now())));
  }
}

/**
 * Stops a group: SIGTERM to all of it, SIGKILL to what is left after `graceMs`, then waits for
 * `leaderExit` (the leader is our child: Node reaps it, so no zombie stays). Members whose parent
 * is the leader are reparented and reaped by init or the nearest subreaper.
 */
export async function stopGroup(pgid: number, graceMs: number, leaderExit: Promise<unknown>): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) {
    await leaderExit;
    return;
  }
  const gone = await waitGroupGone(pgid, graceMs);
  if (!gone) signalGroup(pgid, 'SIGKILL');
  await leaderExit;
  // SIGKILL cannot be ignored: what is left is exiting; wait briefly so a listing right after sees none.
  await waitGroupGone(pgid, 2_000);
}
