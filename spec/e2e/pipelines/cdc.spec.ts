import { usePipelineSuite } from '../../support/pipeline-source.js';
import { expect } from '../../support/sql-expect.js';

describe('pipelines: cdc by logical replication (reference sync)', function () {
  this.timeout(60_000);
  const sync = usePipelineSuite();

  it('cdc + upsert: inserts, updates and deletes end with the expected rows (wal_level=logical)', async function () {
    const [setting] = await this.pg.sql<{ level: string }[]>`select current_setting('wal_level') as level`;
    expect(setting?.level).to.equal('logical');
    const config = this.pg.fixture('pipelines/cdc').data;
    await sync().runPipeline(config);
    await expect(this.pg.table('accounts', 'destination')).to.have.rowCount(3);
    const accounts = this.pg.table('accounts');
    await this.pg.sql.unsafe(`insert into ${accounts} values (4, 'barbara', 400), (5, 'edsger', null)`);
    await this.pg.sql.unsafe(`update ${accounts} set balance = balance + 1 where id in (1, 4)`);
    await this.pg.sql.unsafe(`update ${accounts} set owner = 'it''s grace' where id = 2`);
    await this.pg.sql.unsafe(`delete from ${accounts} where id in (3, 5)`);
    await sync().runPipeline(config);
    await expect(this.pg.table('accounts', 'destination')).to.have.rows([
      { id: 1, owner: 'ada', balance: 101 }, { id: 2, owner: "it's grace", balance: 200 }, { id: 4, owner: 'barbara', balance: 401 },
    ]);
    const [slots] = await this.pg.sql<{ n: number }[]>`select count(*)::int as n from pg_replication_slots where slot_name = ${`${this.pg.source}_slot`}`;
    expect(slots?.n, 'one slot per pipeline').to.equal(1);
  });
});
