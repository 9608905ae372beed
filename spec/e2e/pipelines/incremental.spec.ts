import { usePipelineSuite } from '../../support/pipeline-source.js';
import { expect } from '../../support/sql-expect.js';

describe('pipelines: incremental (reference sync)', function () {
  this.timeout(60_000);
  const sync = usePipelineSuite();

  for (const mode of ['append', 'upsert'] as const) {
    it(`incremental + ${mode}: a second run copies only the new rows`, async function () {
      const config = this.pg.fixture('pipelines/incremental', { write_mode: mode }).data;
      await sync().runPipeline(config);
      await expect(this.pg.table('events', 'destination')).to.have.rowCount(50);
      await this.pg.sql.unsafe(`insert into ${this.pg.table('events')} select g, 'late ' || g, '2025-01-01'::timestamptz + g * interval '1 second' from generate_series(51, 55) g`);
      await this.pg.sql.unsafe(`update ${this.pg.table('events')} set kind = 'old row edited, cursor unchanged' where id = 1`);
      await sync().runPipeline(config);
      await expect(this.pg.table('events', 'destination')).to.have.rowCount(55);
      await expect(this.pg.table('events', 'destination')).to.include.rows([{ id: 1, kind: 'e1', updated_at: '2024-01-01T00:01:00Z' }, { id: 55, kind: 'late 55', updated_at: '2025-01-01T00:00:55Z' }]);
      await expect(this.pg.sql`select cursor_value from ${this.pg.sql(this.pg.destination)}._sync_state where stream = 'events'`)
        .to.have.rows([{ cursor_value: '2025-01-01 00:00:55+00' }]);
    });
  }
});
