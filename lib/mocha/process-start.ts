// Covered by spec/e2e/worker-database.spec.ts, spec/e2e/recipes.spec.ts (setup files see PG*) and
// spec/e2e/worker-capacity.spec.ts (names and the jobs ceiling checked once, in the main process).
import { count, recorder, waited } from '../metrics/process-metrics.js';
import type { Test } from 'mocha';
import { resolveOptions, type ResolvedOptions } from '../config/options.js';
import type { WorkerDatabase } from '../isolation/worker-database.js';
import { isServerGone } from '../server/server-gone.js';
import { plainBootstrapError } from './bootstrap-error.js';
import { RUN_JOBS_ENV, mochaMode, type MochaMode } from './mocha-mode.js';

/** This worker's own database, when `workerDatabase` is on. */
let workerDb: { db: WorkerDatabase; options: ResolvedOptions; mode: MochaMode; kept: boolean; warned: boolean } | undefined;

/**
 * Options are checked before anything else, in every process that loads the plugin: in mocha's
 * main process a bad one stops the run there, printed once, before any worker starts.
 */
function workerDatabaseOptions(): ResolvedOptions | undefined {
  try {
    const options = resolveOptions();
    return options.workerDatabase ? options : undefined;
  } catch (err) {
    throw plainBootstrapError(err);
  }
}

/**
 * What this process does while mocha imports `pgdock/register`, before it loads anything else.
 * Usually nothing. With `workerDatabase` on, a worker (or a serial run's only process) gets a
 * database of its own and exports `DATABASE_URL`/`PG*`, so that every module mocha loads after the
 * plugin (setup files given to `--require`, then spec files) reads them as it loads; the main
 * process of a `--parallel` run creates nothing, but refuses names its workers would share.
 * Outside a mocha run (the module imported by a script) it does nothing.
 */
export async function prepareProcess(): Promise<void> {
  const mode = mochaMode();
  if (mode.role === 'outside') return;
  const options = workerDatabaseOptions();
  if (!options) return;
  if (mode.role === 'parallel-main') {
    try {
      const { checkJobsCeiling, checkNamesForWorkers } = await import('../isolation/connection-budget.js');
      checkNamesForWorkers(options, mode.jobs);
      checkJobsCeiling(options, mode.jobs);
    } catch (err) {
      throw plainBootstrapError(err);
    }
    process.env[RUN_JOBS_ENV] = String(mode.jobs);
    return;
  }
  const { beginRun, endRun, stopSignalCleanup } = await import('./run-lifecycle.js');
  if (mode.role !== 'worker') {
    beginRun();
    process.env[RUN_JOBS_ENV] = '1';
  }
  const { createWorkerDatabase, exportWorkerEnv } = await import('../isolation/worker-database.js');
  let db;
  const asked = performance.now();
  try {
    db = await createWorkerDatabase(options, mode);
    // The server's start (said by the acquire, inside) is a wait for the server; the rest for the database.
    const serverMs = recorder.server?.readyMs ?? 0;
    waited('serverMs', serverMs);
    waited('databasesMs', performance.now() - asked - serverMs);
    count('databasesMade');
  } catch (err) {
    // A serial run ends here without mocha's global teardown: give up what this run acquired.
    if (mode.role !== 'worker') {
      await endRun().catch(() => {});
      stopSignalCleanup();
    }
    // Thrown on: mocha then loads none of this process's files, which would otherwise read
    // their defaults (often a developer's own database) from an environment pgdock did not set.
    throw plainBootstrapError(err);
  }
  exportWorkerEnv(db, options);
  workerDb = { db, options, mode, kept: false, warned: false };
}

/** With per-worker databases: a failing test keeps the database (keepOnFailure), and running out of connections is explained. */
export async function afterWorkerTest(test: Test | undefined): Promise<void> {
  if (!workerDb || test?.state !== 'failed' || isServerGone()) return;
  const { keepWorkerDatabase } = await import('../isolation/worker-database.js');
  const { isOutOfConnections, outOfConnectionsHint } = await import('../isolation/connection-budget.js');
  if (!workerDb.warned && isOutOfConnections(test.err)) {
    workerDb.warned = true;
    process.stderr.write(`${outOfConnectionsHint(workerDb.options, workerDb.mode.jobs)}\n`);
  }
  if (workerDb.options.keepOnFailure && !workerDb.kept) {
    workerDb.kept = true;
    const line = await keepWorkerDatabase(workerDb.db, workerDb.options.keepFor);
    process.stderr.write(`${line}\n`);
    if (test.err) test.err.message += `\n${line}`;
  }
}
