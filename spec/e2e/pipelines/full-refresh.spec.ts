import { shouldFail } from '../../support/should-fail.js';
import { usePipelineSuite } from '../../support/pipeline-source.js';
import { expect } from '../../support/sql-expect.js';

describe('pipelines: full_refresh (reference sync)', function () {
  this.timeout(60_000);
  const sync = usePipelineSuite();

  const fullRefreshModes = ['append', 'upsert', 'replace'] as const;
  for (const mode of fullRefreshModes) {
    it(`full_refresh + ${mode}: copies all rows`, async function () {
      const config = this.pg.fixture('pipelines/full_refresh', { write_mode: mode }).data;
      await sync().runPipeline(config);
      await expect(this.pg.table('users', 'destination')).to.have.rowCount(50);
      await expect(this.pg.table('orders', 'destination')).to.have.rowCount(100);
      await expect(this.pg.sql`select id, name from ${this.pg.sql(this.pg.destination)}.users where id <= 2`)
        .to.have.rows([{ id: 1, name: 'user 1' }, { id: 2, name: 'user 2' }]);
    });
  }

  it('full_refresh + upsert: a second run updates changed rows and adds new ones, no duplicates', async function () {
    const config = this.pg.fixture('pipelines/full_refresh', { write_mode: 'upsert' }).data;
    await sync().runPipeline(config);
    await this.pg.sql.unsafe(`update ${this.pg.table('users')} set name = 'renamed' where id = 1; insert into ${this.pg.table('users')} values (51, 'new', null)`);
    await sync().runPipeline(config);
    await expect(this.pg.table('users', 'destination')).to.have.rowCount(51);
    await expect(this.pg.table('users', 'destination')).to.include.rows([{ id: 1, name: 'renamed', email: 'u1@example.com' }, { id: 51, name: 'new', email: null }]);
  });

  it('full_refresh + append: a second run appends everything again', async function () {
    const config = this.pg.fixture('pipelines/full_refresh', { write_mode: 'append' }).data as { streams: unknown[] };
    config.streams = [{ name: 'events' }]; // no primary key: append really appends
    await sync().runPipeline(config);
    await sync().runPipeline(config);
    await expect(this.pg.table('events', 'destination')).to.have.rowCount(100);
  });

  it('full_refresh + replace: a second run replaces the table instead of adding to it', async function () {
    const config = this.pg.fixture('pipelines/full_refresh', { write_mode: 'replace' }).data;
    await sync().runPipeline(config);
    await this.pg.sql.unsafe(`delete from ${this.pg.table('users')} where id > 10`);
    await sync().runPipeline(config);
    await expect(this.pg.table('users', 'destination')).to.have.rowCount(10);
    await expect(this.pg.table('_staging_users', 'destination')).not.to.exist;
  });

  it('replace leaves the old table intact when the run fails midway', async function () {
    const config = this.pg.fixture('pipelines/full_refresh', { write_mode: 'replace' }).data;
    await sync().runPipeline(config);
    await this.pg.sql.unsafe(`delete from ${this.pg.table('users')}`);
    await shouldFail(sync().runPipeline(config, { beforeSwap: () => { throw new Error('writer crashed before the swap'); } }), 'writer crashed before the swap');
    await expect(this.pg.table('users', 'destination')).to.have.rowCount(50);
  });
});
