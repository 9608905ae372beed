// Covered by spec/integration/mocha/register.spec.ts.
/**
 * `pgdock/register`: the Mocha root hook plugin (`.mocharc.cjs`: `require: ['pgdock/register']`).
 * A door only: the hooks are lib/mocha/plugin.ts, the start of a process lib/mocha/process-start.ts.
 */
import type { PgContext } from '../lib/mocha/pg-context.js';
import { prepareProcess } from '../lib/mocha/process-start.js';

declare module 'mocha' {
  interface Context {
    /** pgdock's Postgres for this test: `sql`, `url`, `server`, `source`, `destination`. Starts on first use. */
    pg: PgContext;
  }
}

/**
 * Done while mocha imports the plugin, which it awaits before its next `--require` module: with
 * `workerDatabase` on, the process's database exists and `PG*` is set before setup files load.
 * Nothing happens outside a mocha run.
 */
await prepareProcess();

export { mochaGlobalSetup, mochaGlobalTeardown, mochaHooks } from '../lib/mocha/plugin.js';
export type { PgContext };
