// Covered by spec/e2e/lifecycle.spec.ts (end of run, Ctrl-C).
import { removeRunMetrics, runMetricsDir } from '../metrics/metrics-files.js';
import { runTotals } from './run-totals.js';
import type { PostgresTotals } from '../metrics/postgres-totals.js';
import { createDebug } from '../debug.js';
import { resolveOptions } from '../config/options.js';
import { forgetProviderChoice } from '../server/choose-provider.js';
import { releaseRunLeases } from '../server/release-server.js';
import { sweepRun } from '../isolation/sweep.js';
import { beginManagedRun, currentRun } from '../coordination/run-identity.js';

const log = createDebug('run');
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** What the end of a run found: how many of its schemas and databases the sweep dropped, and the server's statistics for it. */
export interface RunEnd {
  swept: number;
  postgres: PostgresTotals | null;
  startedAt: number;
}

let ending: Promise<RunEnd> | undefined;
let active = false;
let startedAt = Date.now();
let onSignal: ((signal: NodeJS.Signals) => void) | undefined;

/**
 * In mocha's main process, before workers fork: announce a fresh run and clean up on Ctrl-C.
 * Once per run: a serial run with per-worker databases begins it earlier, before its files load.
 */
export function beginRun(): void {
  if (active) return;
  active = true;
  startedAt = Date.now();
  const run = beginManagedRun();
  log('run %s begins (main pid %d)', run.runId, run.ownerPid);
  ending = undefined;
  if (onSignal) return;
  let handling = false;
  onSignal = (signal) => {
    if (handling) return; // mocha re-raises SIGINT after stopping its workers
    handling = true;
    log('%s: releasing run before exit', signal);
    void endRun(true).finally(() => {
      for (const s of SIGNALS) if (onSignal) process.removeListener(s, onSignal);
      onSignal = undefined;
      process.kill(process.pid, signal);
    });
  };
  for (const s of SIGNALS) process.on(s, onSignal);
}

/**
 * In mocha's main process, after all workers are done: sweep what the run left and release its
 * leases (once). `interrupted` (Ctrl-C): the run's statistics are not read, its records not kept.
 */
export function endRun(interrupted = false): Promise<RunEnd> {
  ending ??= (async () => {
    const end: RunEnd = { swept: 0, postgres: null, startedAt };
    const run = currentRun();
    if (!run.managed) return end;
    const options = resolveOptions();
    forgetProviderChoice(options, run.runId);
    // Each server's leftovers of this run are swept before its lease goes (the last lease may remove it);
    // the run's statistics are read first, on the sweep's connection, while its databases still exist.
    const { removed } = await releaseRunLeases(options, run.runId, async (server) => {
      end.swept += await sweepRun(server, run.runId, options, !interrupted && (options.metrics || options.metricsFile) ? async (sql) => {
        end.postgres ??= await runTotals(sql, server, run.runId, startedAt);
      } : undefined);
    });
    if (removed.length > 0) log('removed %d server(s) at the end of run %s', removed.length, run.runId);
    // An interrupted run reports nothing: its processes' records go now, not in a day.
    if (interrupted) removeRunMetrics(runMetricsDir(options.stateDir, run.runId));
    return end;
  })().finally(() => {
    active = false;
  });
  return ending;
}

/** Stops listening for signals (after a normal end). */
export function stopSignalCleanup(): void {
  if (!onSignal) return;
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  onSignal = undefined;
}
