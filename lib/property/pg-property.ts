// `pgdock/fast-check`. Covered by spec/integration/property/pg-property.spec.ts and spec/e2e/property-tests.spec.ts.
import * as fc from 'fast-check';
import { currentPg } from '../mocha/current-context.js';
import type { FreshPair } from '../mocha/fresh-pairs.js';

export type { FreshPair };

/**
 * A fast-check property whose every run gets a fresh pair (`this.pg.freshPair()`): no generated case
 * sees another's tables, and shrinking replays each candidate on a pair of its own. A passing run's
 * pair is dropped at once; the last failing run's (the counterexample fast-check reports) is held
 * to the test's end, where `keepOnFailure` keeps it with a psql line, as it keeps the test's own pair.
 *
 * ```js
 * await pgProperty([fc.array(fc.integer())], async (pair, values) => { ... }, { numRuns: 100 });
 * ```
 * Call it inside a Mocha test using pgdock/register. Rejects as `fc.assert` does.
 */
export async function pgProperty<Ts extends [unknown, ...unknown[]]>(
  arbitraries: { [K in keyof Ts]: fc.Arbitrary<Ts[K]> },
  predicate: (pair: FreshPair, ...values: Ts) => Promise<boolean | void>,
  parameters?: fc.Parameters<Ts>,
): Promise<void> {
  // This test's own context: cases still running after it timed out cannot take the next test's pairs.
  const context = currentPg();
  let counterexample: FreshPair | undefined;
  const run = async (...values: Ts): Promise<boolean | void> => {
    const pair = await context.freshPair();
    let passed = false;
    try {
      const result = await predicate(pair, ...values);
      passed = result !== false;
      return result;
    } catch (err) {
      // A case fc.pre() skipped is no counterexample: its pair goes, the one held stays.
      if (fc.PreconditionFailure.isFailure(err)) passed = true;
      throw err;
    } finally {
      if (passed) {
        pair.release();
      } else {
        counterexample?.release();
        counterexample = pair;
      }
    }
  };
  const property = (fc.asyncProperty as unknown as (...args: unknown[]) => fc.IAsyncProperty<Ts>)(...arbitraries, run);
  await fc.assert(property, parameters);
}
