// Covered by spec/integration/mocha/register.spec.ts and spec/e2e/lifecycle.spec.ts (`pgdock/register` re-exports this module).
import type { Context, RootHookObject } from 'mocha';
import { takeUnawaitedAssertions } from '../chai/deferred.js';
import { nameGoneServer } from '../server/server-gone.js';
import { beginTest, enablePg, endFile, endTest, installPg, processOutputOf, stopTestProcesses, testScope } from './mocha-scopes.js';
import { attachWarm, closeProcessClient, closeProcessPairs, currentServer, keptPairsWritten, processOptions, queryLog, readyLocalPair } from './process-pg.js';
import { count, waited } from '../metrics/process-metrics.js';
import { mochaMode } from './mocha-mode.js';
import { afterWorkerTest } from './process-start.js';
import { failureContext, loadAddContext } from './report-context.js';
import { snapshotReports, snapshotUpdate } from './snapshot-tests.js';

/** For mochawesome (with --require mochawesome/register in parallel mode): what the database saw. */
async function addFailureContext(context: Context): Promise<void> {
  const scope = testScope();
  if (!scope) return;
  const { server, pair } = scope.describe();
  const processes = processOutputOf(context.currentTest);
  const addContext = server || pair || queryLog.entries.length || processes.length ? await loadAddContext() : null;
  if (addContext) for (const entry of [...(await failureContext(server, pair, queryLog.entries)), ...processes]) addContext(context, entry);
}

/** An SQL assertion nobody awaited checked nothing: the test fails, not the hook (which would skip the rest of the suite). */
function failUnawaited(context: Context): void {
  const test = context.currentTest;
  const unawaited = takeUnawaitedAssertions();
  if (unawaited.length === 0 || test?.state === 'failed') return;
  const hook = context.runnable() as unknown as { error(err: Error): void };
  hook.error(new Error(`pgdock: ${unawaited.length} SQL assertion(s) in "${test?.title ?? 'this test'}" were never awaited (${unawaited.join(', ')}), so they checked nothing. Put \`await\` before expect(...).`));
}

/** What a root hook waits at most for a pair built ahead: half its timeout (0: none), at most a second. */
function hookWait(context: Context): number {
  const timeout = context.timeout();
  return timeout > 0 ? Math.min(timeout / 2, 1_000) : 1_000;
}

/** A root hook's wait for a pair built ahead, counted as this process's wait for pairs. */
function pairWait(wait: Promise<void> | undefined): Promise<void> | undefined {
  if (!wait) return undefined;
  const started = performance.now();
  return wait.then(() => waited('pairsMs', performance.now() - started));
}

let metricsFiles: typeof import('../metrics/metrics-files.js') | undefined;

/**
 * This process's figures go to the run's folder (merged by mocha's main process at the end of the
 * run). Loaded off the plugin's import (what it records meanwhile is kept in memory).
 */
async function recordThisProcess(): Promise<void> {
  const { role } = mochaMode();
  if (role === 'outside') return;
  metricsFiles ??= await import('../metrics/metrics-files.js');
  try {
    metricsFiles.recordForRun(processOptions().stateDir, role === 'parallel-main' ? 'main' : role);
  } catch {
    // bad options are reported where they are first used
  }
}

const rootHooks = {
  beforeAll(this: Context): Promise<void> | undefined {
    installPg(this);
    return pairWait(readyLocalPair(hookWait(this)));
  },
  beforeEach(this: Context): Promise<void> | undefined {
    beginTest(this.currentTest);
    queryLog.reset();
    return pairWait(readyLocalPair(hookWait(this)));
  },
  async afterEach(this: Context): Promise<void> {
    const test = this.currentTest;
    await nameGoneServer(this, 'test');
    if (test?.state === 'failed') await addFailureContext(this);
    await stopTestProcesses(this);
    await afterWorkerTest(test);
    endTest(test?.state === 'failed', test?.err);
    failUnawaited(this);
    const timeout = this.timeout();
    await keptPairsWritten(timeout > 0 ? Math.min(timeout / 2, 5_000) : 5_000);
  },
  async afterAll(this: Context): Promise<void> {
    try {
      const root = this.test?.parent;
      if (root) {
        const { settleSnapshots } = await import('../chai/snapshot-report.js');
        for (const line of settleSnapshots(snapshotReports(root), snapshotUpdate())) process.stderr.write(`${line}\n`);
      }
    } finally {
      await nameGoneServer(this, 'file');
      await closeProcessClient();
      endFile();
      count('files');
      metricsFiles?.flushMetrics();
    }
  },
};

/** Mocha reads this after every `--require` module has loaded, in every process that loads the plugin. */
export function mochaHooks(): RootHookObject {
  enablePg();
  void recordThisProcess();
  return rootHooks;
}

/** Runs once in mocha's main process, before workers fork: attaches to a server already running. Starts nothing. */
export async function mochaGlobalSetup(): Promise<void> {
  // Loaded here, not at import: workers (which never run this) need none of it.
  const { beginRun } = await import('./run-lifecycle.js');
  beginRun();
  await recordThisProcess();
  await attachWarm();
  const server = currentServer();
  if (server && (processOptions().metrics || processOptions().metricsFile)) {
    const { readBaseline } = await import('./run-totals.js');
    readBaseline(server);
  }
}

/**
 * Runs once in mocha's main process after all workers finished: drops the run's pairs, releases its
 * lease, says what the run did (and fails it when over its budget). Mocha calls it on its runner.
 */
export async function mochaGlobalTeardown(this: unknown): Promise<void> {
  const failures = (this as { stats?: { failures?: number } } | undefined)?.stats?.failures ?? 0;
  const { endRun, stopSignalCleanup } = await import('./run-lifecycle.js');
  let over: string[] | undefined;
  try {
    await closeProcessPairs();
    const end = await endRun();
    const { reportRun } = await import('./run-report.js');
    over = await reportRun(processOptions(), end, failures);
  } finally {
    stopSignalCleanup();
  }
  if (over?.length) {
    const { budgetError, failRun } = await import('./run-report.js');
    failRun(budgetError(over), failures);
  }
}
