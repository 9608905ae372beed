import * as chai from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../support/paths.js';
import pgdockChai from '../../../lib/sql-assertions.js';
import { FULL_PROFILE, seedSource } from '../../support/pipeline-source.js';
import { referenceSync, type ReferenceSync } from '../../support/reference-sync.js';

chai.use(pgdockChai);
const { expect } = chai;

describe('pipelines: transforms (reference sync, docker)', function () {
  this.timeout(60_000);
  let sync: ReferenceSync;
  before(async function () {
    sync = await referenceSync();
  });
  beforeEach(async function () {
    await seedSource(this.pg.sql, this.pg.source);
  });

  it('transform + replace: the output matches the stored snapshot', async function () {
    const config = this.pg.fixture('pipelines/transform', { artifact_dir: '/tmp/unused' }).data;
    await sync.runPipeline(config);
    const snapshot = JSON.parse(readFileSync(join(REPO_ROOT, 'fixtures', 'sync', 'snapshots', 'transform.json'), 'utf8')) as Array<Record<string, unknown>>;
    await expect(this.pg.table('order_totals', 'destination')).to.have.rows(snapshot);
    await expect(this.pg.table('order_totals', 'destination')).to.have.columns({ customer_id: 'integer', orders: 'bigint', total: 'numeric' });
  });
});
