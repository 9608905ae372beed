import { usePipelineSuite } from '../../support/pipeline-source.js';
import { expect } from '../../support/sql-expect.js';
import { syncRejection } from '../../support/sync-rejection.js';

type Config = { streams: Array<Record<string, unknown>>; policy?: Record<string, string> };

// The policy axis, schema half: what a stream does when the source's columns drift from the
// destination's. Titles name the policy and its value, so `--grep new_column` (etc.) selects them.
describe('pipelines: schema drift policies (reference sync)', function () {
  this.timeout(60_000);
  const sync = usePipelineSuite();

  /** A fixture's config with only `streams` (by name) and the given policy. */
  function pipeline(ctx: Mocha.Context, fixture: string, writeMode: string, streams: string[], policy?: Record<string, string>): Config {
    const config = ctx.pg.fixture(`pipelines/${fixture}`, { write_mode: writeMode }).data as Config;
    config.streams = config.streams.filter((s) => streams.includes(s.name as string));
    if (policy) config.policy = policy;
    return config;
  }
  const cursorOf = (ctx: Mocha.Context) => ctx.pg.sql`select cursor_value from ${ctx.pg.sql(ctx.pg.destination)}._sync_state where stream = 'events'`;
  const lastCursor = [{ cursor_value: '2024-01-01 00:50:00+00' }];

  it('new_column: add — full_refresh + upsert: the new source column is added to the destination and filled', async function () {
    await sync().runPipeline(pipeline(this, 'full_refresh', 'upsert', ['users']));
    await this.pg.sql.unsafe(`alter table ${this.pg.table('users')} add column age int; update ${this.pg.table('users')} set age = id`);
    const result = await sync().runPipeline(pipeline(this, 'full_refresh', 'upsert', ['users'], { new_column: 'add' }));
    expect(result).to.include({ columnsAdded: 1, written: 50 });
    await expect(this.pg.table('users', 'destination')).to.have.columns({ id: 'integer', name: 'text', email: 'text', age: 'integer' });
    await expect(this.pg.table('users', 'destination')).to.include.rows([{ id: 1, name: 'user 1', email: 'u1@example.com', age: 1 }, { id: 50, name: 'user 50', email: 'u50@example.com', age: 50 }]);
  });

  it('new_column: ignore — incremental + append: the new rows are written without the new column, which the destination never gets', async function () {
    await sync().runPipeline(pipeline(this, 'incremental', 'append', ['events']));
    await this.pg.sql.unsafe(`alter table ${this.pg.table('events')} add column note text; insert into ${this.pg.table('events')} values (51, 'late', '2025-01-01', 'not synced')`);
    const result = await sync().runPipeline(pipeline(this, 'incremental', 'append', ['events'], { new_column: 'ignore' }));
    expect(result).to.include({ columnsIgnored: 1, columnsAdded: 0, written: 1 });
    await expect(this.pg.table('events', 'destination')).to.have.columns({ id: 'integer', kind: 'text', updated_at: 'timestamptz' });
    await expect(this.pg.table('events', 'destination')).to.have.rowCount(51);
  });

  it('new_column: fail (the default) — incremental: SCHEMA_DRIFT names the stream and the column, nothing is written, the cursor stays', async function () {
    await sync().runPipeline(pipeline(this, 'incremental', 'append', ['events']));
    await this.pg.sql.unsafe(`alter table ${this.pg.table('events')} add column note text; insert into ${this.pg.table('events')} values (51, 'late', '2025-01-01', 'n')`);
    const error = await syncRejection(sync(), sync().runPipeline(pipeline(this, 'incremental', 'append', ['events'])), 'SCHEMA_DRIFT');
    expect(error).to.include({ stream: 'events', column: 'note' });
    expect(error.message).to.contain('new_column is fail');
    await expect(this.pg.table('events', 'destination')).to.have.rowCount(50);
    await expect(this.pg.table('events', 'destination')).to.have.columns({ id: 'integer', kind: 'text', updated_at: 'timestamptz' });
    await expect(cursorOf(this)).to.have.rows(lastCursor);
    // The cursor really stayed: the next run, told to add the column, picks the row up.
    await sync().runPipeline(pipeline(this, 'incremental', 'append', ['events'], { new_column: 'add' }));
    await expect(this.pg.table('events', 'destination')).to.include.rows([{ id: 51, kind: 'late', updated_at: '2025-01-01T00:00:00Z', note: 'n' }]);
  });

  it('new_column: add — cdc: the destination gets the new column, and changes after it carry its values', async function () {
    const config = pipeline(this, 'cdc', 'upsert', ['accounts'], { new_column: 'add' });
    await sync().runPipeline(config);
    const accounts = this.pg.table('accounts');
    await this.pg.sql.unsafe(`alter table ${accounts} add column note text; insert into ${accounts} values (4, 'barbara', 400, 'new'); update ${accounts} set note = 'edited' where id = 1`);
    const result = await sync().runPipeline(config);
    expect(result).to.include({ columnsAdded: 1, written: 2 });
    await expect(this.pg.table('accounts', 'destination')).to.have.rows([{ id: 1, owner: 'ada', balance: 100, note: 'edited' }, { id: 2, owner: 'grace', balance: 200, note: null },
      { id: 3, owner: 'linus', balance: 300, note: null }, { id: 4, owner: 'barbara', balance: 400, note: 'new' }]);
  });

  it('new_column: fail (the default) — cdc: SCHEMA_DRIFT before any change is applied; the slot keeps them for the run that may add it', async function () {
    await sync().runPipeline(pipeline(this, 'cdc', 'upsert', ['accounts']));
    const accounts = this.pg.table('accounts');
    await this.pg.sql.unsafe(`insert into ${accounts} values (4, 'barbara', 400); alter table ${accounts} add column note text`);
    const error = await syncRejection(sync(), sync().runPipeline(pipeline(this, 'cdc', 'upsert', ['accounts'])), 'SCHEMA_DRIFT');
    expect(error).to.include({ stream: 'accounts', column: 'note' });
    await expect(this.pg.table('accounts', 'destination')).to.have.rowCount(3);
    await sync().runPipeline(pipeline(this, 'cdc', 'upsert', ['accounts'], { new_column: 'add' }));
    await expect(this.pg.table('accounts', 'destination')).to.include.rows([{ id: 4, owner: 'barbara', balance: 400, note: null }]);
  });

  it('new_column per stream: a stream\'s own policy overrides the pipeline\'s (add for users, ignore for orders)', async function () {
    await sync().runPipeline(pipeline(this, 'full_refresh', 'upsert', ['users', 'orders']));
    await this.pg.sql.unsafe(`alter table ${this.pg.table('users')} add column age int; alter table ${this.pg.table('orders')} add column note text`);
    const config = pipeline(this, 'full_refresh', 'upsert', ['users', 'orders'], { new_column: 'ignore' });
    config.streams[0]!.policy = { new_column: 'add' };
    const result = await sync().runPipeline(config);
    expect(result.streams.users).to.include({ columnsAdded: 1, columnsIgnored: 0 });
    expect(result.streams.orders).to.include({ columnsAdded: 0, columnsIgnored: 1 });
    await expect(this.pg.table('users', 'destination')).to.include.columns({ age: 'integer' });
    await expect(this.pg.table('orders', 'destination')).to.have.columns({ id: 'integer', customer_id: 'integer', amount: 'numeric(10,2)' });
  });

  it('removed_column: null_fill (the default) — full_refresh + upsert: the column dropped from the source is written as null', async function () {
    await sync().runPipeline(pipeline(this, 'full_refresh', 'upsert', ['users']));
    await this.pg.sql.unsafe(`alter table ${this.pg.table('users')} drop column email; insert into ${this.pg.table('users')} values (51, 'new')`);
    const result = await sync().runPipeline(pipeline(this, 'full_refresh', 'upsert', ['users']));
    expect(result).to.include({ columnsNullFilled: 1, written: 51 });
    await expect(this.pg.table('users', 'destination')).to.include.rows([{ id: 1, name: 'user 1', email: null }, { id: 51, name: 'new', email: null }]);
    await expect(this.pg.sql`select 1 from ${this.pg.sql(this.pg.destination)}.users where email is not null`).not.to.exist;
  });

  it('removed_column: fail — full_refresh + append: SCHEMA_DRIFT names the column and the destination keeps its rows', async function () {
    await sync().runPipeline(pipeline(this, 'full_refresh', 'append', ['users']));
    await this.pg.sql.unsafe(`alter table ${this.pg.table('users')} drop column email`);
    const error = await syncRejection(sync(), sync().runPipeline(pipeline(this, 'full_refresh', 'append', ['users'], { removed_column: 'fail' })), 'SCHEMA_DRIFT');
    expect(error).to.include({ stream: 'users', column: 'email' });
    await expect(this.pg.table('users', 'destination')).to.have.rowCount(50);
  });

  it('type_change: coerce (the default) — full_refresh + upsert: values are cast to the destination\'s type; one that does not cast is a bad row (bad_rows: skip)', async function () {
    await sync().runPipeline(pipeline(this, 'full_refresh', 'upsert', ['orders']));
    const orders = this.pg.table('orders');
    await this.pg.sql.unsafe(`alter table ${orders} alter column amount type text; update ${orders} set amount = '1.5' where id = 1; update ${orders} set amount = 'n/a' where id = 2`);
    const result = await sync().runPipeline(pipeline(this, 'full_refresh', 'upsert', ['orders'], { bad_rows: 'skip' }));
    expect(result).to.include({ columnsCoerced: 1, written: 99, skipped: 1 });
    await expect(this.pg.table('orders', 'destination')).to.have.columns({ id: 'integer', customer_id: 'integer', amount: 'numeric(10,2)' });
    await expect(this.pg.table('orders', 'destination')).to.include.rows([{ id: 1, customer_id: 2, amount: '1.50' }, { id: 2, customer_id: 3, amount: '6.50' }, { id: 3, customer_id: 4, amount: '9.75' }]);
  });

  it('type_change: fail — incremental + upsert: SCHEMA_DRIFT names the column and both types; the cursor stays', async function () {
    await sync().runPipeline(pipeline(this, 'incremental', 'upsert', ['events']));
    await this.pg.sql.unsafe(`alter table ${this.pg.table('events')} alter column kind type varchar(40); insert into ${this.pg.table('events')} values (51, 'late', '2025-01-01')`);
    const error = await syncRejection(sync(), sync().runPipeline(pipeline(this, 'incremental', 'upsert', ['events'], { type_change: 'fail' })), 'SCHEMA_DRIFT');
    expect(error).to.include({ stream: 'events', column: 'kind' });
    expect(error.message).to.contain('character varying').and.to.contain('text');
    await expect(this.pg.table('events', 'destination')).to.have.rowCount(50);
    await expect(cursorOf(this)).to.have.rows(lastCursor);
  });

  it('policy: an unknown value is a CONFIG SyncError listing the allowed ones, raised before anything is written', async function () {
    const error = await syncRejection(sync(), sync().runPipeline(pipeline(this, 'full_refresh', 'append', ['users'], { bad_rows: 'drop' })), 'CONFIG');
    expect(error.message).to.contain('"drop"').and.to.contain('fail, skip, dead_letter');
    const unknown = await syncRejection(sync(), sync().runPipeline(pipeline(this, 'full_refresh', 'append', ['users'], { on_conflict: 'x' })), 'CONFIG');
    expect(unknown.message).to.contain('unknown policy "on_conflict"');
    await expect(this.pg.table('users', 'destination')).not.to.exist;
  });
});
