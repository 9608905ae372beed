import { FULL_PROFILE, usePipelineSuite } from '../../support/pipeline-source.js';
import { expect } from '../../support/sql-expect.js';

describe('pipelines: parallel writers (reference sync)', function () {
  this.timeout(60_000);
  const sync = usePipelineSuite();

  it(`full_refresh + append with 4 parallel writers, ${FULL_PROFILE ? 20 : 5} times: stable row counts, no DDL errors`, async function () {
    for (let round = 0; round < (FULL_PROFILE ? 20 : 5); round++) {
      const dest = this.pg.destination;
      await this.pg.sql.unsafe(`drop schema ${dest} cascade; create schema ${dest}`);
      const config = this.pg.fixture('pipelines/full_refresh', { write_mode: 'append' }).data as { parallelism: number };
      config.parallelism = 4;
      await sync().runPipeline(config);
      await expect(this.pg.table('users', 'destination')).to.have.rowCount(50);
      await expect(this.pg.table('orders', 'destination')).to.have.rowCount(100);
    }
  });
});
