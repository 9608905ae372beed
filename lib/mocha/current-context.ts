// Covered by spec/integration/mocha/current-context.spec.ts.
import { inspect } from 'node:util';
import type { PgContext } from './pg-context.js';

let resolve: (() => PgContext) | undefined;

/** Called by pgdock/register: how `pg` finds the running test's (or hook's) context. */
export function setContextResolver(next: () => PgContext): void {
  resolve = next;
}

/** The running test's (or hook's) own context, itself rather than a forwarder: for code that must keep to one test. */
export function currentPg(): PgContext {
  return current();
}

function current(): PgContext {
  if (!resolve) {
    throw new TypeError(
      "pgdock: `pg` was used, but pgdock/register is not loaded in this process. Add it to your mocha config (`require: ['pgdock/register']` in .mocharc.cjs) or run mocha with --require pgdock/register.",
    );
  }
  return resolve();
}

const forwarded = {} as PgContext;
for (const key of ['sql', 'url', 'server', 'source', 'destination', 'database'] as const) {
  Object.defineProperty(forwarded, key, { enumerable: true, get: () => current()[key] });
}
for (const key of ['table', 'sqlFor', 'fixture', 'freshPair'] as const) {
  Object.defineProperty(forwarded, key, { value: (...args: never[]) => (current()[key] as (...a: never[]) => unknown)(...args) });
}
// Printed as JSON, `pg` is the running test's this.pg printed: no secrets (see hideSecretsWhenPrinted).
Object.defineProperty(forwarded, 'toJSON', { value: () => (current() as unknown as { toJSON(): unknown }).toJSON() });
Object.defineProperty(forwarded, inspect.custom, {
  value: (depth: number, options: object) => {
    try {
      return inspect(current(), { ...options, depth });
    } catch {
      return '[pgdock pg: no test is running]';
    }
  },
});

/**
 * The running test's pgdock context, for arrow functions and helpers that have no Mocha `this`:
 * `pg.sql`, `pg.table('users')` and the rest read `this.pg` of whatever test or hook runs now
 * (`it`, `beforeEach`, `afterEach`: the test's pair; `before`, `after`: the suite's). Used anywhere
 * else (while a spec file loads, after its test ended) it throws a TypeError saying where it works.
 *
 * @example
 * import { pg } from 'pgdock';
 * it('counts users', async () => {
 *   const [{ n }] = await pg.sql`select count(*)::int as n from ${pg.sql(pg.source)}.users`;
 * });
 */
export const pg: PgContext = Object.freeze(forwarded);
