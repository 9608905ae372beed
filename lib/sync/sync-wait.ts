// Covered by spec/e2e/lifecycle.spec.ts (Ctrl-C during a sync wait).
/** Signals whose default action ends the process; Ctrl-C is SIGINT. */
const ENDING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Blocks this thread until `flag[0]` leaves 0 (another thread stores and notifies) or `timeoutMs`
 * pass. While blocked, JavaScript signal listeners could never run, so a listener would only make
 * Ctrl-C wait for the whole wait: they are detached for its duration (and put back after), and a
 * signal meanwhile ends the process as it would without them.
 */
export function waitForFlag(flag: Int32Array, timeoutMs: number): 'ok' | 'not-equal' | 'timed-out' {
  const detached = ENDING_SIGNALS.map((signal) => {
    const listeners = process.rawListeners(signal) as Array<(...args: unknown[]) => void>;
    process.removeAllListeners(signal);
    return { signal, listeners };
  });
  try {
    return Atomics.wait(flag, 0, 0, timeoutMs);
  } finally {
    for (const { signal, listeners } of detached) for (const listener of listeners) process.on(signal, listener);
  }
}
