/**
 * `pgdock/register`: the Mocha root hook plugin. Thin on purpose: all work is in `lib/`.
 * `.mocharc.cjs`: `require: ['pgdock/register']`.
 */
import { inspect } from 'node:util';
import type { Context, RootHookObject, Test } from 'mocha';
import { PgdockError } from '../lib/errors.js';
import { mochaMode, type MochaMode } from '../lib/mocha/mocha-mode.js';
import { RUN_JOBS_ENV, resolveOptions, type ResolvedOptions } from '../lib/config/options.js';
import { beginTest, enablePg, endFile, endTest, installPg, testScope } from '../lib/mocha/mocha-scopes.js';
import { closeProcessClient, closeProcessPairs, queryLog, type PgContext } from '../lib/mocha/pg-context.js';
import { failureContext, loadAddContext } from '../lib/mocha/report-context.js';
import { beginRun, endRun, stopSignalCleanup } from '../lib/mocha/run-lifecycle.js';
import { isServerGone, nameGoneServer } from '../lib/server/server-gone.js';
import { takeUnawaitedAssertions } from '../lib/chai/sql-assertions.js';

declare module 'mocha' {
  interface Context {
    /** pgdock's Postgres for this test: `sql`, `url`, `server`, `source`, `destination`. Starts on first use. */
    pg: PgContext;
  }
}

/** This worker's own database, when `workerDatabase` is on (see `mochaHooks`). */
let workerDb: { db: import('../lib/isolation/worker-database.js').WorkerDatabase; options: ResolvedOptions; mode: MochaMode; kept: boolean; warned: boolean } | undefined;

/** With per-worker databases: a failing test keeps the database (keepOnFailure), and running out of connections is explained. */
async function afterWorkerTest(test: Test | undefined): Promise<void> {
  if (!workerDb || test?.state !== 'failed' || isServerGone()) return;
  const { keepWorkerDatabase } = await import('../lib/isolation/worker-database.js');
  const { isOutOfConnections, outOfConnectionsHint } = await import('../lib/isolation/connection-budget.js');
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

const rootHooks = {
  beforeAll(this: Context): void {
    installPg(this);
  },
  beforeEach(this: Context): void {
    beginTest(this.currentTest);
    queryLog.reset();
  },
  async afterEach(this: Context): Promise<void> {
    const test = this.currentTest;
    await nameGoneServer(this, 'test');
    const scope = testScope();
    if (test?.state === 'failed' && scope) {
      // For mochawesome (with --require mochawesome/register in parallel mode): what the database saw.
      const { server, pair } = scope.describe();
      const addContext = server || pair || queryLog.entries.length ? await loadAddContext() : null;
      if (addContext) for (const entry of await failureContext(server, pair, queryLog.entries)) addContext(this, entry);
    }
    await afterWorkerTest(test);
    endTest(test?.state === 'failed', test?.err);
    const unawaited = takeUnawaitedAssertions();
    if (unawaited.length > 0 && test?.state !== 'failed') {
      // Hook#error fails the test itself; throwing would fail the hook and skip the rest of the suite.
      const hook = this.runnable() as unknown as { error(err: Error): void };
      hook.error(new Error(`pgdock: ${unawaited.length} SQL assertion(s) in "${test?.title ?? 'this test'}" were never awaited (${unawaited.join(', ')}), so they checked nothing. Put \`await\` before expect(...).`));
    }
  },
  async afterAll(this: Context): Promise<void> {
    await nameGoneServer(this, 'file');
    await closeProcessClient();
    endFile();
  },
};

/**
 * An error that reads the same through a worker's serialization (which keeps `message` only) and
 * prints no stack frames: code, message and hint are what the user needs.
 */
function plainBootstrapError(err: unknown): Error {
  const message = err instanceof PgdockError ? `[${err.code}] ${err.message}` : `pgdock: ${(err as Error)?.message ?? String(err)}`;
  const plain = new Error(message);
  plain.name = 'PgdockError';
  plain.stack = `PgdockError: ${message}`;
  // Mocha prints a failed plugin with console.error: as is, not in util.inspect's brackets.
  Object.defineProperty(plain, inspect.custom, { value: () => plain.stack });
  return plain;
}

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
 * What this process does before mocha loads anything after the plugin. Usually nothing. With
 * `workerDatabase` on, a worker (or a serial run's only process) gets a database of its own and
 * exports `DATABASE_URL`/`PG*`, so that every module mocha loads after `pgdock/register` (setup files
 * given to `--require`, then spec files) reads them as it loads; the main process of a `--parallel`
 * run creates nothing, but refuses names its workers would share.
 */
async function prepareProcess(): Promise<void> {
  const mode = mochaMode();
  if (mode.role === 'outside') return;
  const options = workerDatabaseOptions();
  if (!options) return;
  if (mode.role === 'parallel-main') {
    try {
      const { checkJobsCeiling, checkNamesForWorkers } = await import('../lib/isolation/connection-budget.js');
      checkNamesForWorkers(options, mode.jobs);
      checkJobsCeiling(options, mode.jobs);
    } catch (err) {
      throw plainBootstrapError(err);
    }
    process.env[RUN_JOBS_ENV] = String(mode.jobs);
    return;
  }
  if (mode.role !== 'worker') {
    beginRun();
    process.env[RUN_JOBS_ENV] = '1';
  }
  const { createWorkerDatabase, exportWorkerEnv } = await import('../lib/isolation/worker-database.js');
  let db;
  try {
    db = await createWorkerDatabase(options, mode);
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

/**
 * Done while mocha imports the plugin (mocha awaits it before its next `--require` module): see
 * {@link prepareProcess}. Outside a mocha run (the module imported by a script) it does nothing.
 */
await prepareProcess();

/** Mocha reads this after every `--require` module has loaded, in every process that loads the plugin. */
export function mochaHooks(): RootHookObject {
  enablePg();
  return rootHooks;
}

/** Runs once in mocha's main process, before workers fork. Starts nothing. */
export function mochaGlobalSetup(): void {
  beginRun();
}

/** Runs once in mocha's main process after all workers finished: drops the run's pairs, releases its lease. */
export async function mochaGlobalTeardown(): Promise<void> {
  try {
    closeProcessPairs();
    await endRun();
  } finally {
    stopSignalCleanup();
  }
}

export type { PgContext };
