import * as chai from 'chai';
import pgdockChai from '../../../lib/sql-assertions.js';
import { FULL_PROFILE, seedSource } from '../../support/pipeline-source.js';
import { referenceSync, type ReferenceSync } from '../../support/reference-sync.js';

chai.use(pgdockChai);
const { expect } = chai;

describe('pipelines: parallel writers (reference sync, docker)', function () {
  this.timeout(60_000);
  let sync: ReferenceSync;
  before(async function () {
    sync = await referenceSync();
  });
  beforeEach(async function () {
    await seedSource(this.pg.sql, this.pg.source);
  });

  it(`full_refresh + append with 4 parallel writers, ${FULL_PROFILE ? 20 : 5} times: stable row counts, no DDL errors`, async function () {
    for (let round = 0; round < (FULL_PROFILE ? 20 : 5); round++) {
      const dest = this.pg.destination;
      await this.pg.sql.unsafe(`drop schema ${dest} cascade; create schema ${dest}`);
      const config = this.pg.fixture('pipelines/full_refresh', { write_mode: 'append' }).data as { parallelism: number };
      config.parallelism = 4;
      await sync.runPipeline(config);
      await expect(this.pg.table('users', 'destination')).to.have.rowCount(50);
      await expect(this.pg.table('orders', 'destination')).to.have.rowCount(100);
    }
  });
});
