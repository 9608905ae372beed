import * as fc from 'fast-check';
import { pgProperty } from '../../../lib/property/pg-property.js';
import { expect } from '../../support/sql-expect.js';

describe('pgProperty (pgdock/fast-check)', function () {
  this.timeout(120_000);

  it('100 generated cases, each on its own fresh pair: no case sees another\'s table', async function () {
    const sources = new Set<string>();
    await pgProperty([fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 20 })], async (pair, values) => {
      sources.add(pair.source);
      await expect(pair.source, 'a case starts on an empty pair').to.be.empty;
      await pair.sql.unsafe(`create table ${pair.table('seen')} (v int)`);
      for (const v of values) await pair.sql.unsafe(`insert into ${pair.table('seen')} values ($1)`, [v]);
      await expect(pair.table('seen')).to.have.rowCount(values.length);
    }, { numRuns: 100 });
    expect(sources.size, 'one pair per case').to.equal(100);
  });

  it('must fail: a failing property rejects with the shrunk counterexample, and only that case\'s pair is still held', async function () {
    const byPair = new Map<string, number[]>();
    let error: unknown;
    try {
      await pgProperty([fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1 })], async (pair, values) => {
        byPair.set(pair.source, values);
        await pair.sql.unsafe(`create table ${pair.table('seen')} (v int)`);
        for (const v of values) await pair.sql.unsafe(`insert into ${pair.table('seen')} values ($1)`, [v]);
        const [row] = await pair.sql.unsafe<Array<{ total: number }>>(`select coalesce(sum(v), 0)::int as total from ${pair.table('seen')}`);
        return row!.total < 50;
      }, { numRuns: 200, seed: 42 });
    } catch (err) {
      error = err;
    }
    expect(String((error as Error)?.message)).to.match(/Property failed after \d+ tests[\s\S]*Counterexample: \[\[50\]\]/);
    expect(byPair.size, 'shrinking ran more cases, each on its own pair').to.be.greaterThan(2);
    // Passing cases' pairs are released at once (dropped in the background); the counterexample's is held.
    const names = [...byPair.keys()];
    let held: string[] = [];
    for (const until = Date.now() + 10_000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
      held = (await this.pg.sql<Array<{ nspname: string }>>`select nspname from pg_namespace where nspname = any(${names})`).map((r) => r.nspname);
      if (held.length <= 1) break;
    }
    expect(held).to.have.length(1);
    expect(byPair.get(held[0]!), 'the held pair is the counterexample\'s').to.deep.equal([50]);
    await expect(this.pg.sql`select v from ${this.pg.sql(held[0]!)}.seen`).to.have.rows([{ v: 50 }]);
  });
});
