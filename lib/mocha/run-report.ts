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

/**
 * Merges the run's records and says what they show. Returns the problems of a budget that was
 * exceeded (the caller fails the run with them), else an empty list.
 */
export async function reportRun(options: ResolvedOptions, end: RunEnd): Promise<string[]> {
  const run = currentRun();
  if (!run.managed) return [];
  flushMetrics(true);
  const dir = runMetricsDir(options.stateDir, run.runId);
  const metrics: RunMetrics = mergeRunMetrics(readRunMetrics(dir), { runId: run.runId, startedAt: end.startedAt, swept: end.swept, postgres: end.postgres });
  removeRunMetrics(dir);
  const line = summaryLine(metrics);
  // A run that never used a server (unit tests only) has nothing to say.
  if (options.metrics && (metrics.server || metrics.pairs.made || metrics.databases.made)) process.stderr.write(`${line}\n`);
  if (options.metricsFile) {
    mkdirSync(dirname(options.metricsFile), { recursive: true });
    writeFileSync(options.metricsFile, `${JSON.stringify(metrics, null, 2)}\n`);
  }
  addMetricsToReport(line, metrics);
  return overBudget(metrics, {
    serverStartMs: options.budgetServerStartMs,
    claimP95Ms: options.budgetClaimP95Ms,
    waitMs: options.budgetWaitMs,
    leakedPairs: options.budgetLeakedPairs,
  });
}

/**
 * Fails the run however mocha treats its global teardown: mocha 12 counts a teardown that throws,
 * mocha 10 and 11 swallow it and exit 0. So the figures are printed here, once, and the process's
 * exit code is made non-zero as it exits (after mocha set its own from the failures it counted).
 */
export function failRun(err: PgdockError): void {
  process.stderr.write(`\n${err.name}: ${err.message}\n`);
  process.on('exit', (code) => {
    if (code === 0) process.exit(1);
  });
}
