// Covered by spec/e2e/shared-server.spec.ts.
import { randomUUID } from 'node:crypto';

/**
 * One "run": a mocha invocation (main process and its workers), or a plain process using the API.
 * Leases and shared failures are per run.
 */
export interface RunIdentity {
  runId: string;
  /** The pid whose life the run's lease follows: mocha's main process, or this process. */
  ownerPid: number;
  /** True when a mocha main process manages the lease (set up by `pgdock/register`). */
  managed: boolean;
}

export const RUN_ID_ENV = 'PGDOCK_RUN_ID';
export const RUN_PID_ENV = 'PGDOCK_RUN_PID';

let processRun: RunIdentity | undefined;

/** The run this process belongs to: the one mocha's main process announced, else its own. */
export function currentRun(env: Record<string, string | undefined> = process.env): RunIdentity {
  const runId = env[RUN_ID_ENV];
  const ownerPid = Number(env[RUN_PID_ENV]);
  if (runId && Number.isInteger(ownerPid) && ownerPid > 0) return { runId, ownerPid, managed: true };
  processRun ??= { runId: randomUUID(), ownerPid: process.pid, managed: false };
  return processRun;
}

/** Called in mocha's main process: a fresh run, announced to the workers it forks through env. */
export function beginManagedRun(env: Record<string, string | undefined> = process.env): RunIdentity {
  const run = { runId: randomUUID(), ownerPid: process.pid, managed: true };
  env[RUN_ID_ENV] = run.runId;
  env[RUN_PID_ENV] = String(run.ownerPid);
  return run;
}
