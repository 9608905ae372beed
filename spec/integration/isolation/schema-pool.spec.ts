import { expect } from 'chai';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres, { type Sql } from 'postgres';
import { processStartTime } from '../../../lib/coordination/leases.js';
import { pairNonce, schemaPairNames, testPairNames } from '../../../lib/isolation/names.js';
import { listMarked } from '../../../lib/isolation/marks.js';
import { SchemaPool } from '../../../lib/isolation/schema-pool.js';
import { sweepSchemas } from '../../../lib/isolation/sweep.js';

describe('SchemaPool on the real server', function () {
  let claimSql: Sql;
  let workSql: Sql;
  let pool: SchemaPool;
  const key = `pool-spec-${process.pid}`;

  beforeEach(function () {
    claimSql = postgres(this.pg.url, { max: 1, onnotice: () => {} });
    workSql = postgres(this.pg.url, { max: 2, onnotice: () => {} });
    const owner = { pid: process.pid, pidStart: processStartTime(process.pid), host: hostname(), run: 'pool-spec' };
    pool = new SchemaPool(claimSql, workSql, { sourceFiles: [], destinationFiles: [], key }, owner, 2);
  });

  afterEach(async function () {
    await pool.close();
    await Promise.all([claimSql.end(), workSql.end()]);
  });

  async function present(names: string[]): Promise<string[]> {
    const marked = new Set((await listMarked(workSql, 'schema')).map((s) => s.name));
    return names.filter((n) => marked.has(n));
  }

  it('release drops the replication slots and publications named after the pair', async function () {
    const pair = schemaPairNames('slots and publications');
    await pool.claim(pair);
    await claimSql.unsafe(`create table ${pair.source}.t (id int primary key);
      create publication ${pair.source}_pub for table ${pair.source}.t`);
    await claimSql`select pg_create_physical_replication_slot(${`${pair.source}_slot`})`;
    await pool.release(pair);
    const [pubs] = await claimSql<{ n: number }[]>`select count(*)::int as n from pg_publication where pubname = ${`${pair.source}_pub`}`;
    const [slots] = await claimSql<{ n: number }[]>`select count(*)::int as n from pg_replication_slots where slot_name = ${`${pair.source}_slot`}`;
    expect([pubs?.n, slots?.n]).to.deep.equal([0, 0]);
    expect(await present([pair.source, pair.destination])).to.deep.equal([]);
  });

  it('kept pairs live until they expire, then a later start purges them', async function () {
    const long = schemaPairNames('kept for a day');
    const short = schemaPairNames('kept for a moment');
    await pool.claim(long);
    await pool.claim(short);
    await pool.release(long, { forMs: 24 * 3600_000 });
    await pool.release(short, { forMs: 50 });
    await sleep(100);
    await sweepSchemas(workSql);
    expect(await present([long.source, long.destination, short.source, short.destination])).to.deep.equal([long.source, long.destination]);
    await workSql.unsafe(`drop schema ${long.source}, ${long.destination} cascade`);
  });

  it('a pair setup that fails is reported by the claim, and leaves nothing behind', async function () {
    const broken = new SchemaPool(claimSql, workSql, { sourceFiles: [], destinationFiles: [], key: `${key}-broken`, module: 'data:text/javascript,export default async (sql) => { await sql`select no_such_function()`; }' },
      { pid: process.pid, host: hostname(), run: 'pool-spec' }, 1);
    const pair = schemaPairNames('broken setup');
    let message = '';
    try {
      await broken.claim(pair);
    } catch (err) {
      message = (err as Error).message;
    }
    await broken.close();
    expect(message).to.match(/no_such_function/);
    expect((await listMarked(workSql, 'schema')).filter((s) => s.mark.key === `${key}-broken`)).to.deep.equal([]);
  });

  describe('built ahead and taken as they are (take, whenReady: the warm claim)', function () {
    let eager: SchemaPool;
    const setupKey = `${key}-eager`;

    beforeEach(function () {
      const owner = { pid: process.pid, pidStart: processStartTime(process.pid), host: hostname(), run: 'pool-spec' };
      eager = new SchemaPool(workSql, workSql, { sourceFiles: [], destinationFiles: [], key: setupKey }, owner, 2, () => testPairNames(), true);
    });

    afterEach(async function () {
      await eager.close();
    });

    it('must fail: before anything is built, take() has nothing (it never waits)', function () {
      expect(eager.readyCount).to.equal(0);
      expect(eager.take()).to.equal(undefined);
    });

    it('whenReady() builds one even with no setup; take() then hands it out synchronously, under the name it was built with', async function () {
      await eager.whenReady();
      const pair = eager.take();
      expect(pair?.source).to.match(/^src_[0-9a-z]{12}$/);
      expect(pair?.destination).to.equal(pair?.source.replace(/^src_/, 'dst_'));
      expect(await present([pair!.source, pair!.destination])).to.deep.equal([pair!.source, pair!.destination]);
      // The pool refills behind it, to its size and no further.
      for (let i = 0; i < 1000 && eager.readyCount < 2; i++) await sleep(10);
      expect(eager.readyCount).to.equal(2);
      await sleep(50);
      const built = (await listMarked(workSql, 'schema')).filter((s) => s.mark.key === setupKey && s.mark.owner.run === 'pool-spec');
      expect(built, 'the taken pair and two ready ones').to.have.length(6);
      await eager.release(pair!);
      expect(await present([pair!.source, pair!.destination])).to.deep.equal([]);
    });

    it('a kept pair is renamed to carry its test\'s title; its former names are in its mark, and the sweep that drops it ends slots named after either', async function () {
      await eager.whenReady();
      const pair = eager.take()!;
      const keepAs = schemaPairNames('the failing test', pairNonce(pair.source));
      await workSql`select pg_create_physical_replication_slot(${`${pair.source}_slot`})`;
      await eager.release(pair, { forMs: 50 }, keepAs);
      expect(await present([pair.source, keepAs.source, keepAs.destination])).to.deep.equal([keepAs.source, keepAs.destination]);
      const [kept] = (await listMarked(workSql, 'schema')).filter((s) => s.name === keepAs.source);
      expect(kept?.mark).to.include({ state: 'kept' });
      expect(kept?.mark.schemas).to.deep.equal([pair.source, pair.destination]);
      await sleep(100);
      await sweepSchemas(workSql);
      expect(await present([keepAs.source, keepAs.destination])).to.deep.equal([]);
      const [slots] = await workSql<{ n: number }[]>`select count(*)::int as n from pg_replication_slots where slot_name = ${`${pair.source}_slot`}`;
      expect(slots?.n, 'the slot named after the former name').to.equal(0);
    });

    it('a setup that fails: whenReady() rejects with its error (and take() has nothing)', async function () {
      const owner = { pid: process.pid, host: hostname(), run: 'pool-spec' };
      const broken = new SchemaPool(workSql, workSql, { sourceFiles: [], destinationFiles: [], key: `${key}-eager-broken`, module: 'data:text/javascript,export default async (sql) => { await sql`select no_such_function()`; }' }, owner, 1, () => testPairNames(), true);
      try {
        let message = '';
        await broken.whenReady().catch((err: Error) => (message = err.message));
        expect(message).to.match(/no_such_function/);
        expect(broken.take()).to.equal(undefined);
      } finally {
        await broken.close();
      }
    });
  });
});
