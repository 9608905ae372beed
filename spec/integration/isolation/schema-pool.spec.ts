import { expect } from 'chai';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres, { type Sql } from 'postgres';
import { processStartTime } from '../../../lib/coordination/leases.js';
import { schemaPairNames } from '../../../lib/isolation/names.js';
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
});
