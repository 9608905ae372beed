// The end of a run, in mocha's main process: every process's figures merged, one summary line,
// the JSON file and mochawesome's report when asked, and the budget gate.
// Covered by spec/e2e/run-metrics.spec.ts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ResolvedOptions } from '../config/options.js';
import { currentRun } from '../coordination/run-identity.js';
import { ErrorCodes, PgdockError } from '../errors.js';
import { overBudget } from '../metrics/budget.js';
import { flushMetrics, readRunMetrics, removeRunMetrics, runMetricsDir } from '../metrics/metrics-files.js';
import { mergeRunMetrics, type RunMetrics } from '../metrics/run-metrics.js';
import { summaryLine } from '../metrics/summary-line.js';
import { addMetricsToReport } from './report-metrics.js';
import type { RunEnd } from './run-lifecycle.js';

/** What a run's budget gate says when the run went over a limit: the figures, once. */
export function budgetError(over: string[]): PgdockError {
  return new PgdockError(
    ErrorCodes.BUDGET_EXCEEDED,
    `pgdock's budget for this run was exceeded:\n${over.map((line) => `  - ${line}`).join('\n')}`,
    'Look at the summary line above for where the time went; raise the limit (the budget* options) if the new figure is expected.',
    { limits: over.length },
  );
}

/** What writing `metricsFile` says when it cannot: once, with a code and a hint, never a stack. */
function metricsFileError(file: string, err: unknown): PgdockError {
  return new PgdockError(
    ErrorCodes.INVALID_OPTION,
    `pgdock could not write the run's metrics to ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`,
    'Set metricsFile (PGDOCK_METRICS_FILE) to a file path in a folder you can write, e.g. reports/pgdock-metrics.json.',
    { option: 'metricsFile' },
  );
}

/**
 * Merges the run's records and says what they show: the summary line, the JSON file, mochawesome's
 * report. Returns the limits the run went over (the caller fails the run with them), else an empty
 * list; the budget is checked first, so nothing after it can keep a run over budget from failing.
 */
export async function reportRun(options: ResolvedOptions, end: RunEnd, failures = 0): Promise<string[]> {
  const run = currentRun();
  if (!run.managed) return [];
  flushMetrics(true);
  const dir = runMetricsDir(options.stateDir, run.runId);
  const metrics: RunMetrics = mergeRunMetrics(readRunMetrics(dir), { runId: run.runId, startedAt: end.startedAt, swept: end.swept, postgres: end.postgres });
  removeRunMetrics(dir);
  const over = overBudget(metrics, {
    serverStartMs: options.budgetServerStartMs,
    claimP95Ms: options.budgetClaimP95Ms,
    waitMs: options.budgetWaitMs,
    leakedPairs: options.budgetLeakedPairs,
  });
  const line = summaryLine(metrics);
  // A run that never used a server (unit tests only) has nothing to say.
  const used = Boolean(metrics.server || metrics.pairs.made || metrics.databases.made);
  if (options.metrics && used) {
    process.stderr.write(`${line}\n`);
    addMetricsToReport(line, metrics);
  }
  if (options.metricsFile) {
    try {
      mkdirSync(dirname(options.metricsFile), { recursive: true });
      writeFileSync(options.metricsFile, `${JSON.stringify(metrics, null, 2)}\n`);
    } catch (err) {
      failRun(metricsFileError(options.metricsFile, err), failures);
    }
  }
  return over;
}

/**
 * Fails the run however mocha treats its global teardown: mocha 12 counts a teardown that throws,
 * mocha 10 and 11 swallow it and exit 0. So the figures are printed here, once, and the exit code
 * is made non-zero as the process exits: mocha's own (its failures) when it has one, else 1.
 */
export function failRun(err: PgdockError, failures: number): void {
  process.stderr.write(`\n${err.name}: ${err.message}\n`);
  const code = Math.min(255, Math.max(1, failures));
  process.on('exit', (exiting) => {
    // Listeners run in order and mocha sets its code in a later one: exiting here ends the process with it.
    if (exiting === 0 || exiting < code) process.exit(code);
  });
}
