/**
 * `pgdock/register`: the Mocha root hook plugin. Thin on purpose: all work is in `lib/`.
 * `.mocharc.cjs`: `require: ['pgdock/register']`.
 */
import type { Context } from 'mocha';
import { closeProcessClient, createPgContext, type PgContext, type TimedRunnable } from '../lib/pg-context.js';
import { beginRun, endRun, stopSignalCleanup } from '../lib/run-lifecycle.js';

declare module 'mocha' {
  interface Context {
    /** pgdock's Postgres for this test: `sql`, `url`, `server`. Starts the shared server on first use. */
    pg: PgContext;
  }
}

function installPg(ctx: Context): void {
  // Tests in nested suites read `pg` through the prototype chain: the getter's receiver is the
  // test's own context, whose runnable is the one whose timeout start-up must not eat into.
  let receiver: Context = ctx;
  const pg = createPgContext(() => receiver.runnable() as unknown as TimedRunnable | undefined);
  Object.defineProperty(ctx, 'pg', {
    configurable: true,
    enumerable: false,
    get(this: Context) {
      receiver = this;
      return pg;
    },
    set(this: Context, value: PgContext) {
      Object.defineProperty(this, 'pg', { value, configurable: true, enumerable: true, writable: true });
    },
  });
}

export const mochaHooks = {
  beforeAll(this: Context): void {
    installPg(this);
  },
  beforeEach(this: Context): void {
    installPg(this);
  },
  async afterAll(): Promise<void> {
    await closeProcessClient();
  },
};

/** Runs once in mocha's main process, before workers fork. Starts nothing. */
export function mochaGlobalSetup(): void {
  beginRun();
}

/** Runs once in mocha's main process after all workers finished: releases this run's lease. */
export async function mochaGlobalTeardown(): Promise<void> {
  try {
    await endRun();
  } finally {
    stopSignalCleanup();
  }
}

export type { PgContext };
