import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../support/paths.js';
import { usePipelineSuite } from '../../support/pipeline-source.js';
import { expect } from '../../support/sql-expect.js';

describe('pipelines: transforms (reference sync)', function () {
  this.timeout(60_000);
  const sync = usePipelineSuite();

  it('transform + replace: the output matches the stored snapshot', async function () {
    const config = this.pg.fixture('pipelines/transform', { artifact_dir: '/tmp/unused' }).data;
    await sync().runPipeline(config);
    const snapshot = JSON.parse(readFileSync(join(REPO_ROOT, 'fixtures', 'sync', 'snapshots', 'transform.json'), 'utf8')) as Array<Record<string, unknown>>;
    await expect(this.pg.table('order_totals', 'destination')).to.have.rows(snapshot);
    await expect(this.pg.table('order_totals', 'destination')).to.have.columns({ customer_id: 'integer', orders: 'bigint', total: 'numeric' });
  });
});
