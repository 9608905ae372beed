// pgdock's `startProcess()`. Covered by spec/integration/processes/readiness.spec.ts and spec/integration/processes/scopes.spec.ts.
import { adoptProcess, currentProcessOwner, releaseProcess, type ProcessOwner } from './process-scopes.js';
import { resolveProcessOptions, type StartProcessOptions } from './process-options.js';
import { waitReady, type ReadyCheck } from './readiness.js';
import { describeExit, StartedChild, type ProcessExit } from './started-process.js';

export type { ProcessExit, ReadyCheck, StartProcessOptions };

/** A running process of the system under test, started by {@link startProcess}. */
export interface StartedProcess {
  readonly name: string;
  /** Its pid: also the id of its process group, which every signal pgdock sends reaches. */
  readonly pid: number;
  /** With `ready: { log }`, the match of the line that made it ready (`ready[1]`: a port it printed), as printed (not redacted); else undefined. */
  readonly ready: RegExpMatchArray | undefined;
  /** Resolves when it exits. */
  readonly exited: Promise<ProcessExit>;
  /** Its recent stdout and stderr lines (the last 200), secrets redacted. */
  output(): string;
  /** Resolves with the match (as printed) when a line (already printed or later) matches; rejects with its output on timeout (ms, default 10 s) or when it exits. */
  waitForOutput(pattern: RegExp | string, timeout?: number): Promise<RegExpMatchArray>;
  /** Sends a signal to its whole process group (e.g. SIGKILL, to crash it in a test). */
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM to its group, SIGKILL after `stopGrace`; resolves with its exit once all of the group is gone. Idempotent. */
  stop(): Promise<ProcessExit>;
}

const NOT_RUNNING =
  'pgdock: startProcess() can only be called while a test or hook runs (inside it(), beforeEach(), afterEach(), before() or after()): a process belongs to the test or suite that started it.';

/**
 * Extends the running runnable's timeout by `ms` while pgdock waits; the returned function leaves
 * it at its own plus the time waited (Mocha also fails a runnable whose whole duration exceeds it).
 */
function holdTimeout(owner: ProcessOwner | null, ms: number): () => void {
  const before = owner?.timeout() ?? 0;
  if (!owner || before <= 0) return () => {};
  const started = Date.now();
  owner.timeout(before + ms);
  return () => owner.timeout(before + (Date.now() - started));
}

function publicView(child: StartedChild, ready: RegExpMatchArray | undefined): StartedProcess {
  return Object.freeze({
    name: child.name,
    pid: child.pid,
    ready,
    exited: child.exited,
    output: () => child.output(),
    waitForOutput: (pattern: RegExp | string, timeout?: number) => child.waitForOutput(pattern, timeout),
    kill: (signal?: NodeJS.Signals) => child.kill(signal),
    stop: () => child.stop(),
  });
}

/**
 * Starts a process of the system under test for the running test or suite and waits until it is
 * ready: a process started in a test or its `beforeEach`/`afterEach` is stopped when the test
 * ends; one started in a suite's `before`/`after`, after the suite's last `after` hook. Always
 * stopped as a whole process group (SIGTERM, then SIGKILL after `stopGrace`), also on Ctrl-C of
 * the run or when the test process dies. The readiness wait does not count against the test's timeout.
 *
 * @throws PgdockError `ERR_PGDOCK_PROCESS_EXITED` when it exits before it is ready,
 * `ERR_PGDOCK_PROCESS_NOT_READY` when it is not ready within `timeout` (it is stopped),
 * `ERR_PGDOCK_INVALID_OPTION` for bad options. Messages carry its output, secrets redacted.
 *
 * @example
 * const api = await startProcess({
 *   command: process.execPath, args: ['server.js'],
 *   env: { DATABASE_URL: this.pg.url, SCHEMA: this.pg.source },
 *   ready: { log: /listening on (\d+)/ },
 * });
 * const port = Number(api.ready![1]);
 */
export async function startProcess(options: StartProcessOptions): Promise<StartedProcess> {
  const resolved = resolveProcessOptions(options);
  const owner = currentProcessOwner();
  if (owner === undefined) throw new TypeError(NOT_RUNNING);
  const child = new StartedChild(resolved);
  if (child.pid === 0) {
    const exit = await child.exited;
    throw child.exitedError('could not be started', exit);
  }
  if (owner) {
    adoptProcess(owner.key, child);
    child.whenStopped(() => releaseProcess(owner.key, child));
  }
  const giveBack = holdTimeout(owner, resolved.timeout + resolved.stopGrace + 2_000);
  const wait = waitReady(resolved.ready, child.tailLines, child.redact);
  let timer: NodeJS.Timeout | undefined;
  try {
    const outcome = await Promise.race([
      wait.ready.then((ready) => ({ kind: 'ready' as const, ready })),
      child.exited.then((exit) => ({ kind: 'exited' as const, exit })),
      new Promise<{ kind: 'timeout' }>((resolve) => (timer = setTimeout(() => resolve({ kind: 'timeout' }), resolved.timeout))),
    ]);
    if (outcome.kind === 'ready') return publicView(child, outcome.ready === true ? undefined : outcome.ready);
    if (outcome.kind === 'exited') {
      await child.drained;
      await child.stop(); // what it started in its group goes too
      throw child.exitedError(`exited (${describeExit(outcome.exit)}) before it was ready`, outcome.exit);
    }
    const problem = wait.lastProblem();
    await child.stop();
    throw child.notReady(`was not ready within ${resolved.timeout} ms${problem ? ` (${problem})` : ''} and was stopped`, resolved.timeout);
  } finally {
    clearTimeout(timer);
    wait.cancel();
    giveBack();
  }
}
