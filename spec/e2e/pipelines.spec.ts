import * as chai from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sql } from 'postgres';
import pgdockChai from '../../lib/sql-assertions.js';
import { REPO_ROOT } from '../support/paths.js';
import { referenceSync, type ReferenceSync } from '../support/reference-sync.js';
import { shouldFail } from '../support/should-fail.js';

chai.use(pgdockChai);
const { expect } = chai;
const FULL = process.env.PGDOCK_SPEC_PROFILE === 'full';

/** Source tables as the pipelines expect them: users, orders, events, accounts. */
async function seed(sql: Sql, schema: string, rows = 50): Promise<void> {
  await sql.unsafe(`set search_path to ${schema}`);
  await sql.unsafe(`create table users (id int primary key, name text not null, email text)`);
  await sql.unsafe(`insert into users select g, 'user ' || g, 'u' || g || '@example.com' from generate_series(1, ${rows}) g`);
  await sql.unsafe(`create table orders (id int primary key, customer_id int not null, amount numeric(10,2) not null)`);
  await sql.unsafe(`insert into orders select g, 1 + g % 7, (g * 3.25)::numeric(10,2) from generate_series(1, ${rows * 2}) g`);
  await sql.unsafe(`create table events (id int primary key, kind text, updated_at timestamptz not null)`);
  await sql.unsafe(`insert into events select g, 'e' || g, '2024-01-01'::timestamptz + g * interval '1 minute' from generate_series(1, ${rows}) g`);
  await sql.unsafe(`create table accounts (id int primary key, owner text, balance numeric(10,2))`);
  await sql.unsafe(`insert into accounts values (1, 'ada', 100), (2, 'grace', 200), (3, 'linus', 300)`);
  await sql.unsafe('reset search_path');
}

describe('pipeline E2E through pgdock (reference Postgres-to-Postgres sync, docker)', function () {
  this.timeout(60_000);
  let sync: ReferenceSync;
  before(async function () {
    sync = await referenceSync();
  });
  beforeEach(async function () {
    await seed(this.pg.sql, this.pg.source);
  });

  const fullRefreshModes = ['append', 'upsert', 'replace'] as const;
  for (const mode of fullRefreshModes) {
    it(`full_refresh + ${mode}: copies all rows`, async function () {
      const config = this.pg.fixture('pipelines/full_refresh', { write_mode: mode }).data;
      await sync.runPipeline(config);
      await expect(this.pg.table('users', 'destination')).to.have.rowCount(50);
      await expect(this.pg.table('orders', 'destination')).to.have.rowCount(100);
      await expect(this.pg.sql`select id, name from ${this.pg.sql(this.pg.destination)}.users where id <= 2`)
        .to.have.rows([{ id: 1, name: 'user 1' }, { id: 2, name: 'user 2' }]);
    });
  }

  it('full_refresh + upsert: a second run updates changed rows and adds new ones, no duplicates', async function () {
    const config = this.pg.fixture('pipelines/full_refresh', { write_mode: 'upsert' }).data;
    await sync.runPipeline(config);
    await this.pg.sql.unsafe(`update ${this.pg.table('users')} set name = 'renamed' where id = 1; insert into ${this.pg.table('users')} values (51, 'new', null)`);
    await sync.runPipeline(config);
    await expect(this.pg.table('users', 'destination')).to.have.rowCount(51);
    await expect(this.pg.table('users', 'destination')).to.include.rows([{ id: 1, name: 'renamed', email: 'u1@example.com' }, { id: 51, name: 'new', email: null }]);
  });

  it('full_refresh + append: a second run appends everything again', async function () {
    const config = this.pg.fixture('pipelines/full_refresh', { write_mode: 'append' }).data as { streams: unknown[] };
    config.streams = [{ name: 'events' }]; // no primary key: append really appends
    await sync.runPipeline(config);
    await sync.runPipeline(config);
    await expect(this.pg.table('events', 'destination')).to.have.rowCount(100);
  });

  it('full_refresh + replace: a second run replaces the table instead of adding to it', async function () {
    const config = this.pg.fixture('pipelines/full_refresh', { write_mode: 'replace' }).data;
    await sync.runPipeline(config);
    await this.pg.sql.unsafe(`delete from ${this.pg.table('users')} where id > 10`);
    await sync.runPipeline(config);
    await expect(this.pg.table('users', 'destination')).to.have.rowCount(10);
    await expect(this.pg.table('_staging_users', 'destination')).not.to.exist;
  });

  it('replace leaves the old table intact when the run fails midway', async function () {
    const config = this.pg.fixture('pipelines/full_refresh', { write_mode: 'replace' }).data;
    await sync.runPipeline(config);
    await this.pg.sql.unsafe(`delete from ${this.pg.table('users')}`);
    await shouldFail(sync.runPipeline(config, { beforeSwap: () => { throw new Error('writer crashed before the swap'); } }), 'writer crashed before the swap');
    await expect(this.pg.table('users', 'destination')).to.have.rowCount(50);
  });

  for (const mode of ['append', 'upsert'] as const) {
    it(`incremental + ${mode}: a second run copies only the new rows`, async function () {
      const config = this.pg.fixture('pipelines/incremental', { write_mode: mode }).data;
      await sync.runPipeline(config);
      await expect(this.pg.table('events', 'destination')).to.have.rowCount(50);
      await this.pg.sql.unsafe(`insert into ${this.pg.table('events')} select g, 'late ' || g, '2025-01-01'::timestamptz + g * interval '1 second' from generate_series(51, 55) g`);
      await this.pg.sql.unsafe(`update ${this.pg.table('events')} set kind = 'old row edited, cursor unchanged' where id = 1`);
      await sync.runPipeline(config);
      await expect(this.pg.table('events', 'destination')).to.have.rowCount(55);
      await expect(this.pg.table('events', 'destination')).to.include.rows([{ id: 1, kind: 'e1', updated_at: '2024-01-01T00:01:00Z' }, { id: 55, kind: 'late 55', updated_at: '2025-01-01T00:00:55Z' }]);
      await expect(this.pg.sql`select cursor_value from ${this.pg.sql(this.pg.destination)}._sync_state where stream = 'events'`)
        .to.have.rows([{ cursor_value: '2025-01-01 00:00:55+00' }]);
    });
  }

  it('cdc + upsert: inserts, updates and deletes end with the expected rows (wal_level=logical)', async function () {
    const [setting] = await this.pg.sql<{ level: string }[]>`select current_setting('wal_level') as level`;
    expect(setting?.level).to.equal('logical');
    const config = this.pg.fixture('pipelines/cdc').data;
    await sync.runPipeline(config);
    await expect(this.pg.table('accounts', 'destination')).to.have.rowCount(3);
    const accounts = this.pg.table('accounts');
    await this.pg.sql.unsafe(`insert into ${accounts} values (4, 'barbara', 400), (5, 'edsger', null)`);
    await this.pg.sql.unsafe(`update ${accounts} set balance = balance + 1 where id in (1, 4)`);
    await this.pg.sql.unsafe(`update ${accounts} set owner = 'it''s grace' where id = 2`);
    await this.pg.sql.unsafe(`delete from ${accounts} where id in (3, 5)`);
    await sync.runPipeline(config);
    await expect(this.pg.table('accounts', 'destination')).to.have.rows([
      { id: 1, owner: 'ada', balance: 101 }, { id: 2, owner: "it's grace", balance: 200 }, { id: 4, owner: 'barbara', balance: 401 },
    ]);
    const [slots] = await this.pg.sql<{ n: number }[]>`select count(*)::int as n from pg_replication_slots where slot_name = ${`${this.pg.source}_slot`}`;
    expect(slots?.n, 'one slot per pipeline').to.equal(1);
  });

  it('transform + replace: the output matches the stored snapshot', async function () {
    const config = this.pg.fixture('pipelines/transform', { artifact_dir: '/tmp/unused' }).data;
    await sync.runPipeline(config);
    const snapshot = JSON.parse(readFileSync(join(REPO_ROOT, 'fixtures', 'sync', 'snapshots', 'transform.json'), 'utf8')) as Array<Record<string, unknown>>;
    await expect(this.pg.table('order_totals', 'destination')).to.have.rows(snapshot);
    await expect(this.pg.table('order_totals', 'destination')).to.have.columns({ customer_id: 'integer', orders: 'bigint', total: 'numeric' });
  });

  it(`full_refresh + append with 4 parallel writers, ${FULL ? 20 : 5} times: stable row counts, no DDL errors`, async function () {
    for (let round = 0; round < (FULL ? 20 : 5); round++) {
      const dest = this.pg.destination;
      await this.pg.sql.unsafe(`drop schema ${dest} cascade; create schema ${dest}`);
      const config = this.pg.fixture('pipelines/full_refresh', { write_mode: 'append' }).data as { parallelism: number };
      config.parallelism = 4;
      await sync.runPipeline(config);
      await expect(this.pg.table('users', 'destination')).to.have.rowCount(50);
      await expect(this.pg.table('orders', 'destination')).to.have.rowCount(100);
    }
  });

  if (FULL) {
    // The full matrix: every sync mode with every write mode it supports, bigger data, parallel variants.
    for (const mode of fullRefreshModes) {
      for (const parallelism of [1, 2, 4]) {
        it(`full_refresh + ${mode} (matrix, parallelism ${parallelism}, 2 runs): counts are stable`, async function () {
          await this.pg.sql.unsafe(`insert into ${this.pg.table('users')} select g, 'more ' || g, null from generate_series(51, 2000) g`);
          const config = this.pg.fixture('pipelines/full_refresh', { write_mode: mode }).data as { parallelism: number };
          config.parallelism = parallelism;
          await sync.runPipeline(config);
          if (mode !== 'append') await sync.runPipeline(config);
          await expect(this.pg.table('users', 'destination')).to.have.rowCount(2000);
        });
      }
    }
    for (const mode of ['append', 'upsert'] as const) {
      it(`incremental + ${mode} (matrix, 5 runs with new rows each time)`, async function () {
        const config = this.pg.fixture('pipelines/incremental', { write_mode: mode }).data;
        for (let run = 0; run < 5; run++) {
          await this.pg.sql.unsafe(`insert into ${this.pg.table('events')} select g, 'r${run}', '2026-01-01'::timestamptz + g * interval '1 second' from generate_series(${1000 + run * 10}, ${1009 + run * 10}) g`);
          await sync.runPipeline(config);
        }
        await expect(this.pg.table('events', 'destination')).to.have.rowCount(100);
      });
    }
    it('cdc + upsert (matrix, 200 random changes)', async function () {
      const config = this.pg.fixture('pipelines/cdc').data;
      await sync.runPipeline(config);
      for (let i = 0; i < 200; i++) {
        const id = 1 + (i % 40);
        await this.pg.sql.unsafe(i % 5 === 4
          ? `delete from ${this.pg.table('accounts')} where id = ${id}`
          : `insert into ${this.pg.table('accounts')} values (${id}, 'o${i}', ${i}) on conflict (id) do update set owner = excluded.owner, balance = excluded.balance`);
        if (i % 50 === 49) await sync.runPipeline(config);
      }
      await sync.runPipeline(config);
      const source = await this.pg.sql.unsafe(`select id, owner, balance from ${this.pg.table('accounts')} order by id`);
      await expect(this.pg.sql`select id, owner, balance from ${this.pg.sql(this.pg.destination)}.accounts order by id`).to.have.ordered.rows([...source]);
    });
  }
});
