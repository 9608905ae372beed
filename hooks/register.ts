/**
 * `pgdock/register`: the Mocha root hook plugin. Thin on purpose: all work is in `lib/`.
 * `.mocharc.cjs`: `require: ['pgdock/register']`.
 */
import type { Context } from 'mocha';
import { closeProcessClient, closeProcessPairs, createPgScope, queryLog, type PgContext, type PgScope, type TimedRunnable } from '../lib/pg-context.js';
import { failureContext, loadAddContext } from '../lib/report-context.js';
import { beginRun, endRun, stopSignalCleanup } from '../lib/run-lifecycle.js';
import { setAssertionHost, takeUnawaitedAssertions } from '../lib/sql-assertions.js';

declare module 'mocha' {
  interface Context {
    /** pgdock's Postgres for this test: `sql`, `url`, `server`, `source`, `destination`. Starts on first use. */
    pg: PgContext;
  }
}

function installPg(ctx: Context): PgScope {
  // Tests in nested suites read `pg` through the prototype chain: the getter's receiver is the
  // test's own context, whose runnable is the one whose timeout start-up must not eat into.
  let receiver: Context = ctx;
  const scope = createPgScope(() => {
    const runnable = receiver.runnable() as unknown as TimedRunnable | undefined;
    // In a beforeEach/afterEach hook the pair is named after the test it runs for.
    const testTitle = receiver.currentTest?.title;
    if (!runnable || !testTitle) return runnable;
    return {
      title: runnable.title,
      testTitle,
      timeout: ((ms?: number) => (ms === undefined ? runnable.timeout() : runnable.timeout(ms))) as TimedRunnable['timeout'],
    };
  });
  Object.defineProperty(ctx, 'pg', {
    configurable: true,
    enumerable: false,
    get(this: Context) {
      receiver = this;
      return scope.context;
    },
    set(this: Context, value: PgContext) {
      Object.defineProperty(this, 'pg', { value, configurable: true, enumerable: true, writable: true });
    },
  });
  return scope;
}

let fileScope: PgScope | undefined;
let testScope: PgScope | undefined;

/** pgdock/chai's table-name targets use the current test's (or file hook's) connection. */
function pointAssertionsAt(scope: PgScope): void {
  setAssertionHost({ sql: () => scope.context.sql, isPgdockName: (name) => scope.names.get(name) });
}

export const mochaHooks = {
  beforeAll(this: Context): void {
    fileScope = installPg(this);
    pointAssertionsAt(fileScope);
  },
  beforeEach(this: Context): void {
    testScope = installPg(this);
    pointAssertionsAt(testScope);
    queryLog.reset();
  },
  async afterEach(this: Context): Promise<void> {
    const test = this.currentTest;
    if (test?.state === 'failed' && testScope) {
      // For mochawesome (with --require mochawesome/register in parallel mode): what the database saw.
      const { server, pair } = testScope.describe();
      const addContext = server || pair || queryLog.entries.length ? await loadAddContext() : null;
      if (addContext) for (const entry of await failureContext(server, pair, queryLog.entries)) addContext(this, entry);
    }
    testScope?.finish(test?.state === 'failed', test?.err);
    testScope = undefined;
    if (fileScope) pointAssertionsAt(fileScope);
    const unawaited = takeUnawaitedAssertions();
    if (unawaited.length > 0 && test?.state !== 'failed') {
      // Hook#error fails the test itself; throwing would fail the hook and skip the rest of the suite.
      const hook = this.runnable() as unknown as { error(err: Error): void };
      hook.error(new Error(`pgdock: ${unawaited.length} SQL assertion(s) in "${test?.title ?? 'this test'}" were never awaited (${unawaited.join(', ')}), so they checked nothing. Put \`await\` before expect(...).`));
    }
  },
  async afterAll(): Promise<void> {
    fileScope?.finish(false);
    fileScope = undefined;
    await closeProcessClient();
  },
};

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
