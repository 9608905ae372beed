// Covered by spec/e2e/start-process.spec.ts (Ctrl-C of a --parallel run) and spec/integration/processes/stop.spec.ts.

/** What the guard needs of a live process. */
export interface GuardedProcess {
  stop(): Promise<unknown>;
  /** Signals its group, if that group is still the one started. */
  kill(signal: NodeJS.Signals): void;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const live = new Set<GuardedProcess>();
let handling = false;

function onSignal(signal: NodeJS.Signals): void {
  if (handling) return; // mocha's main process may send its own SIGTERM while these stop
  handling = true;
  void Promise.all([...live].map((p) => p.stop().catch(() => undefined))).finally(() => {
    uninstall();
    handling = false;
    // As if no handler had been there: the signal's own effect (unless someone else handles it).
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}

/** Exiting (process.exit included): no time to wait, so what is left is killed outright. */
function onExit(): void {
  for (const p of live) p.kill('SIGKILL');
}

function install(): void {
  for (const s of SIGNALS) process.on(s, onSignal);
  process.on('exit', onExit);
}

function uninstall(): void {
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  process.removeListener('exit', onExit);
}

/**
 * Guards a started process for as long as it runs: Ctrl-C (SIGINT), SIGTERM or SIGHUP of this
 * process stops every guarded process first (SIGTERM, SIGKILL after its grace), then the signal
 * takes its course; an exit kills what is left. Listeners are there only while something runs,
 * so a run that starts nothing behaves exactly as before.
 */
export function guardProcess(p: GuardedProcess): void {
  if (live.size === 0 && !handling) install();
  live.add(p);
}

export function unguardProcess(p: GuardedProcess): void {
  live.delete(p);
  if (live.size === 0 && !handling) uninstall();
}
