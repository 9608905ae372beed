import { usePipelineSuite } from '../../support/pipeline-source.js';
import { expect } from '../../support/sql-expect.js';

describe('pipelines: transforms (reference sync)', function () {
  this.timeout(60_000);
  const sync = usePipelineSuite();

  it('transform + replace: the output matches its snapshot (__snapshots__/transform.spec.ts.snap.yaml)', async function () {
    const config = this.pg.fixture('pipelines/transform', { artifact_dir: '/tmp/unused' }).data;
    await sync().runPipeline(config);
    await expect(this.pg.table('order_totals', 'destination')).to.matchSnapshot();
    await expect(this.pg.table('order_totals', 'destination')).to.have.columns({ customer_id: 'integer', orders: 'bigint', total: 'numeric' });
  });
});
