import { FULL_PROFILE, usePipelineSuite } from '../../support/pipeline-source.js';
import { expect } from '../../support/sql-expect.js';

describe('pipelines: the full matrix (npm run test:full)', function () {
  this.timeout(60_000);
  const sync = usePipelineSuite();

  if (!FULL_PROFILE) return;
  const fullRefreshModes = ['append', 'upsert', 'replace'] as const;

  // The full matrix: every sync mode with every write mode it supports, bigger data, parallel variants.
  for (const mode of fullRefreshModes) {
    for (const parallelism of [1, 2, 4]) {
      it(`full_refresh + ${mode} (matrix, parallelism ${parallelism}, 2 runs): counts are stable`, async function () {
        await this.pg.sql.unsafe(`insert into ${this.pg.table('users')} select g, 'more ' || g, null from generate_series(51, 2000) g`);
        const config = this.pg.fixture('pipelines/full_refresh', { write_mode: mode }).data as { parallelism: number };
        config.parallelism = parallelism;
        await sync().runPipeline(config);
        if (mode !== 'append') await sync().runPipeline(config);
        await expect(this.pg.table('users', 'destination')).to.have.rowCount(2000);
      });
    }
  }
  for (const mode of ['append', 'upsert'] as const) {
    it(`incremental + ${mode} (matrix, 5 runs with new rows each time)`, async function () {
      const config = this.pg.fixture('pipelines/incremental', { write_mode: mode }).data;
      for (let run = 0; run < 5; run++) {
        await this.pg.sql.unsafe(`insert into ${this.pg.table('events')} select g, 'r${run}', '2026-01-01'::timestamptz + g * interval '1 second' from generate_series(${1000 + run * 10}, ${1009 + run * 10}) g`);
        await sync().runPipeline(config);
      }
      await expect(this.pg.table('events', 'destination')).to.have.rowCount(100);
    });
  }
  it('cdc + upsert (matrix, 200 random changes)', async function () {
    const config = this.pg.fixture('pipelines/cdc').data;
    await sync().runPipeline(config);
    for (let i = 0; i < 200; i++) {
      const id = 1 + (i % 40);
      await this.pg.sql.unsafe(i % 5 === 4
        ? `delete from ${this.pg.table('accounts')} where id = ${id}`
        : `insert into ${this.pg.table('accounts')} values (${id}, 'o${i}', ${i}) on conflict (id) do update set owner = excluded.owner, balance = excluded.balance`);
      if (i % 50 === 49) await sync().runPipeline(config);
    }
    await sync().runPipeline(config);
    const source = await this.pg.sql.unsafe(`select id, owner, balance from ${this.pg.table('accounts')} order by id`);
    await expect(this.pg.sql`select id, owner, balance from ${this.pg.sql(this.pg.destination)}.accounts order by id`).to.have.ordered.rows([...source]);
  });
});
