// Covered by spec/integration/processes/process-group.spec.ts (a reused pid is not signalled) and spec/integration/processes/stop.spec.ts.
import { groupStillOurs, startTimeOf } from './group-identity.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The process group a started process leads (its pid is the group's id), as recorded when it was
 * spawned. Every signal pgdock sends goes through {@link signal}, which checks first that the group is
 * still the one started: once the leader has exited and the last member of its group is gone, the
 * number may name someone else's group, and that is never signalled.
 */
export class ProcessGroup {
  /** The leader's kernel start time; undefined without /proc (then only "some process has that group id" is known). */
  private readonly leaderStart: string | undefined;

  /** Records the group led by `pgid`: call right after spawning (the leader cannot have been reaped yet). */
  constructor(readonly pgid: number, leaderStart: string | undefined = startTimeOf(pgid)) {
    this.leaderStart = leaderStart;
  }

  /** The leader's start time as recorded (what the orphan reaper is told). */
  get startTime(): string | undefined {
    return this.leaderStart;
  }

  /** Whether the group still exists and is still ours (zombies not yet reaped count). */
  alive(): boolean {
    if (this.leaderStart !== undefined) return groupStillOurs(this.pgid, this.leaderStart);
    return this.kill(0);
  }

  /** Sends `signal` to every process of the group (what the leader started too) if it is still ours; false when it is not. */
  signal(signal: NodeJS.Signals): boolean {
    return this.alive() && this.kill(signal);
  }

  /** Waits until the group is gone or `ms` passed; true when it is gone. */
  async waitGone(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    for (let pause = 10; ; pause = Math.min(pause * 2, 100)) {
      if (!this.alive()) return true;
      if (Date.now() >= deadline) return false;
      await sleep(Math.min(pause, Math.max(1, deadline - Date.now())));
    }
  }

  /**
   * Stops the group: SIGTERM to all of it, SIGKILL to what is left after `graceMs`, then waits for
   * `leaderExit` (the leader is our child: Node reaps it, so no zombie stays). Members whose parent
   * is the leader are reparented and reaped by init or the nearest subreaper.
   */
  async stop(graceMs: number, leaderExit: Promise<unknown>): Promise<void> {
    if (!this.signal('SIGTERM')) {
      await leaderExit;
      return;
    }
    const gone = await this.waitGone(graceMs);
    if (!gone) this.signal('SIGKILL');
    await leaderExit;
    // SIGKILL cannot be ignored: what is left is exiting; wait briefly so a listing right after sees none.
    await this.waitGone(2_000);
  }

  private kill(signal: NodeJS.Signals | 0): boolean {
    try {
      process.kill(-this.pgid, signal);
      return true;
    } catch {
      return false;
    }
  }
}
