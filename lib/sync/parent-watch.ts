// Covered by spec/e2e/lifecycle.spec.ts (Ctrl-C while a test waits for its pair).
/** How often a helper thread checks that mocha's main process still runs. */
const PARENT_POLL_MS = 250;

/**
 * The pid of mocha's main process when this process is one of its `--parallel` workers (a child
 * with an IPC channel), else undefined. Read on the thread that will wait.
 */
export function workerParentPid(): number | undefined {
  return typeof process.send === 'function' ? process.ppid : undefined;
}

/**
 * For a helper thread whose process's main thread may be blocked in `Atomics.wait`: once mocha's
 * main process is gone (Ctrl-C, a kill), ends this worker process as mocha would have (SIGTERM).
 * A blocked thread never sees its IPC channel close, so without this an orphaned worker would sit
 * until its wait ended, holding the run's output pipe open.
 */
export function endWithParent(parentPid: number | undefined): void {
  if (parentPid === undefined) return;
  const timer = setInterval(() => {
    if (process.ppid === parentPid) return;
    clearInterval(timer);
    process.kill(process.pid, 'SIGTERM');
  }, PARENT_POLL_MS);
  timer.unref();
}
