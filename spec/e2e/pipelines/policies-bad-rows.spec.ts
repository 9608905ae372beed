import { usePipelineSuite } from '../../support/pipeline-source.js';
import { expect } from '../../support/sql-expect.js';
import { syncRejection } from '../../support/sync-rejection.js';

type Config = { streams: Array<Record<string, unknown>>; policy?: Record<string, string>; parallelism?: number };

// The policy axis, bad-row half: rows the destination rejects (here its own check constraints, which
// the source lacks), in every sync mode. Titles start with the policy value (`bad_rows: skip`,
// `bad_rows: dead_letter`, `bad_rows: fail`), so `--grep dead_letter` runs exactly those cases.
describe('pipelines: bad-row policies (reference sync)', function () {
  this.timeout(60_000);
  const sync = usePipelineSuite();

  function pipeline(ctx: Mocha.Context, fixture: string, writeMode: string, streams: string[], badRows?: string): Config {
    const config = ctx.pg.fixture(`pipelines/${fixture}`, { write_mode: writeMode }).data as Config;
    config.streams = config.streams.filter((s) => streams.includes(s.name as string));
    if (badRows) config.policy = { bad_rows: badRows };
    return config;
  }
  /** The destination's orders rejects amounts of `limit` and more (300: ids 93 to 100 of the seeded 100; 325: id 100). */
  const strictOrders = (ctx: Mocha.Context, limit = 300) => ctx.pg.sql.unsafe(`create table ${ctx.pg.table('orders', 'destination')}
    (id int primary key, customer_id int not null, amount numeric(10,2) not null constraint small_orders check (amount < ${limit}))`);
  const rejectedOrders = [93, 94, 95, 96, 97, 98, 99, 100];
  /** The destination's events rejects kinds starting with "bad". */
  const strictEvents = (ctx: Mocha.Context) => ctx.pg.sql.unsafe(`create table ${ctx.pg.table('events', 'destination')}
    (id int primary key, kind text constraint good_kinds check (kind not like 'bad%'), updated_at timestamptz not null)`);
  const deadLetters = (ctx: Mocha.Context, stream: string) =>
    ctx.pg.sql.unsafe(`select (row->>'id')::int as id, sqlstate from ${ctx.pg.table(`${stream}_dead_letter`, 'destination')} order by id`);
  const cursor = (ctx: Mocha.Context) => ctx.pg.sql`select cursor_value from ${ctx.pg.sql(ctx.pg.destination)}._sync_state where stream = 'events'`;

  describe('full_refresh', function () {
    it('bad_rows: skip — full_refresh + append: the rows orders rejects are skipped and counted, the other 92 are written', async function () {
      await strictOrders(this);
      const result = await sync().runPipeline(pipeline(this, 'full_refresh', 'append', ['users', 'orders'], 'skip'));
      expect(result.streams.orders).to.include({ written: 92, skipped: 8, deadLettered: 0 });
      expect(result.streams.users).to.include({ written: 50, skipped: 0 });
      await expect(this.pg.table('orders', 'destination')).to.have.rowCount(92);
      await expect(this.pg.table('orders_dead_letter', 'destination')).not.to.exist;
    });

    it('bad_rows: dead_letter — full_refresh + upsert: rejected rows land in orders_dead_letter, the rest are written', async function () {
      await strictOrders(this);
      const result = await sync().runPipeline(pipeline(this, 'full_refresh', 'upsert', ['orders'], 'dead_letter'));
      expect(result).to.include({ written: 92, skipped: 0, deadLettered: 8 });
      await expect(this.pg.table('orders', 'destination')).to.have.rowCount(92);
      await expect(deadLetters(this, 'orders')).to.have.ordered.rows(rejectedOrders.map((id) => ({ id, sqlstate: '23514' })));
      await expect(this.pg.sql.unsafe(`select row, error from ${this.pg.table('orders_dead_letter', 'destination')} where row->>'id' = '93'`))
        .to.have.rows([{ row: { id: 93, customer_id: 3, amount: 302.25 }, error: 'new row for relation "orders" violates check constraint "small_orders"' }]);
    });

    it('bad_rows: dead_letter — full_refresh + append, 2 parallel writers: every rejected row lands in orders_dead_letter once', async function () {
      await strictOrders(this);
      const config = pipeline(this, 'full_refresh', 'append', ['orders'], 'dead_letter');
      config.parallelism = 2;
      const result = await sync().runPipeline(config);
      expect(result).to.include({ written: 92, deadLettered: 8 });
      await expect(deadLetters(this, 'orders')).to.have.ordered.rows(rejectedOrders.map((id) => ({ id, sqlstate: '23514' })));
    });

    it('bad_rows: fail (the default) — full_refresh + append: BAD_ROW names the first rejected row, and no row of that stream is written', async function () {
      await strictOrders(this);
      const error = await syncRejection(sync(), sync().runPipeline(pipeline(this, 'full_refresh', 'append', ['users', 'orders'])), 'BAD_ROW');
      expect(error).to.include({ stream: 'orders', sqlstate: '23514' });
      expect(error.row).to.deep.equal({ id: 93, customer_id: 3, amount: 302.25 });
      await expect(this.pg.table('users', 'destination')).to.have.rowCount(50); // the stream before it
      await expect(this.pg.table('orders', 'destination')).to.be.empty;
    });

    it('bad_rows: fail — full_refresh + upsert, 2 parallel writers: one rejected row, and neither writer commits its part', async function () {
      await strictOrders(this, 325); // one bad row: one writer's part is clean, and must not be committed either
      const config = pipeline(this, 'full_refresh', 'upsert', ['orders'], 'fail');
      config.parallelism = 2;
      const error = await syncRejection(sync(), sync().runPipeline(config), 'BAD_ROW');
      expect(error.row).to.include({ id: 100 });
      await expect(this.pg.table('orders', 'destination')).to.be.empty;
    });
  });

  describe('incremental', function () {
    it('bad_rows: skip — incremental + append: rejected rows are skipped and the cursor moves past them', async function () {
      await strictEvents(this);
      await this.pg.sql.unsafe(`update ${this.pg.table('events')} set kind = 'bad' where id in (10, 50)`);
      const result = await sync().runPipeline(pipeline(this, 'incremental', 'append', ['events'], 'skip'));
      expect(result).to.include({ written: 48, skipped: 2 });
      await expect(cursor(this)).to.have.rows([{ cursor_value: '2024-01-01 00:50:00+00' }]);
      const again = await sync().runPipeline(pipeline(this, 'incremental', 'append', ['events'], 'skip'));
      expect(again).to.include({ written: 0, skipped: 0 });
    });

    it('bad_rows: dead_letter — incremental + upsert: rejected rows land in events_dead_letter once, the cursor moves past them', async function () {
      await strictEvents(this);
      await this.pg.sql.unsafe(`update ${this.pg.table('events')} set kind = 'bad' where id in (10, 50)`);
      const result = await sync().runPipeline(pipeline(this, 'incremental', 'upsert', ['events'], 'dead_letter'));
      expect(result).to.include({ written: 48, deadLettered: 2 });
      await this.pg.sql.unsafe(`insert into ${this.pg.table('events')} values (51, 'late', '2025-01-01')`);
      const again = await sync().runPipeline(pipeline(this, 'incremental', 'upsert', ['events'], 'dead_letter'));
      expect(again).to.include({ written: 1, deadLettered: 0 });
      await expect(deadLetters(this, 'events')).to.have.ordered.rows([{ id: 10, sqlstate: '23514' }, { id: 50, sqlstate: '23514' }]);
      await expect(this.pg.table('events', 'destination')).to.have.rowCount(49);
    });

    it('bad_rows: fail — incremental + append: the cursor does not move past the rejected row; once the destination accepts it, the next run writes it', async function () {
      await strictEvents(this);
      await sync().runPipeline(pipeline(this, 'incremental', 'append', ['events']));
      await this.pg.sql.unsafe(`insert into ${this.pg.table('events')} select g, case g when 53 then 'bad' else 'late' end, '2025-01-01'::timestamptz + g * interval '1 second' from generate_series(51, 55) g`);
      const error = await syncRejection(sync(), sync().runPipeline(pipeline(this, 'incremental', 'append', ['events'], 'fail')), 'BAD_ROW');
      expect(error.row).to.include({ id: 53, kind: 'bad' });
      await expect(this.pg.table('events', 'destination')).to.have.rowCount(50);
      await expect(cursor(this)).to.have.rows([{ cursor_value: '2024-01-01 00:50:00+00' }]);
      await this.pg.sql.unsafe(`alter table ${this.pg.table('events', 'destination')} drop constraint good_kinds`);
      await sync().runPipeline(pipeline(this, 'incremental', 'append', ['events'], 'fail'));
      await expect(this.pg.table('events', 'destination')).to.have.rowCount(55);
      await expect(cursor(this)).to.have.rows([{ cursor_value: '2025-01-01 00:00:55+00' }]);
    });
  });

  describe('cdc', function () {
    /** After the initial copy, the destination's accounts rejects balances of 1000 and more. */
    async function firstRun(ctx: Mocha.Context, badRows: string): Promise<Config> {
      const config = pipeline(ctx, 'cdc', 'upsert', ['accounts'], badRows);
      await sync().runPipeline(config);
      await ctx.pg.sql.unsafe(`alter table ${ctx.pg.table('accounts', 'destination')} add constraint small_balances check (balance < 1000)`);
      return config;
    }
    /** Three source transactions; the second one's change is rejected. */
    const threeTransactions = async (ctx: Mocha.Context) => {
      const accounts = ctx.pg.table('accounts');
      await ctx.pg.sql.unsafe(`insert into ${accounts} values (4, 'barbara', 400)`);
      await ctx.pg.sql.unsafe(`insert into ${accounts} values (5, 'rich', 5000)`);
      await ctx.pg.sql.unsafe(`update ${accounts} set balance = 101 where id = 1; insert into ${accounts} values (6, 'edsger', 600)`);
    };
    const goodRows = [{ id: 1, owner: 'ada', balance: 101 }, { id: 2, owner: 'grace', balance: 200 }, { id: 3, owner: 'linus', balance: 300 },
      { id: 4, owner: 'barbara', balance: 400 }, { id: 6, owner: 'edsger', balance: 600 }];

    it('bad_rows: fail — cdc, first run: the initial copy is all or nothing, and the next run copies again', async function () {
      await this.pg.sql.unsafe(`create table ${this.pg.table('accounts', 'destination')} (id int primary key, owner text, balance numeric(10,2) check (balance < 250))`);
      const config = pipeline(this, 'cdc', 'upsert', ['accounts'], 'fail');
      const error = await syncRejection(sync(), sync().runPipeline(config), 'BAD_ROW');
      expect(error.row).to.include({ id: 3 });
      await expect(this.pg.table('accounts', 'destination')).to.be.empty;
      await this.pg.sql.unsafe(`alter table ${this.pg.table('accounts', 'destination')} drop constraint accounts_balance_check`);
      await sync().runPipeline(config);
      await expect(this.pg.table('accounts', 'destination')).to.have.rowCount(3);
    });

    it('bad_rows: skip — cdc: a change the destination rejects is skipped, the changes around it are applied', async function () {
      const config = await firstRun(this, 'skip');
      await threeTransactions(this);
      const result = await sync().runPipeline(config);
      expect(result).to.include({ written: 3, skipped: 1 });
      await expect(this.pg.table('accounts', 'destination')).to.have.rows(goodRows);
    });

    it('bad_rows: dead_letter — cdc: a rejected change lands in accounts_dead_letter once; the slot moves past it', async function () {
      const config = await firstRun(this, 'dead_letter');
      await threeTransactions(this);
      expect(await sync().runPipeline(config)).to.include({ written: 3, deadLettered: 1 });
      expect(await sync().runPipeline(config)).to.include({ written: 0, deadLettered: 0 });
      await expect(this.pg.table('accounts', 'destination')).to.have.rows(goodRows);
      await expect(this.pg.sql.unsafe(`select row from ${this.pg.table('accounts_dead_letter', 'destination')}`))
        .to.have.rows([{ row: { id: '5', owner: 'rich', balance: '5000.00' } }]);
    });

    it('bad_rows: fail — cdc: BAD_ROW names the change; the slot is not confirmed past its transaction, so the next run replays it', async function () {
      const config = await firstRun(this, 'fail');
      await threeTransactions(this);
      const error = await syncRejection(sync(), sync().runPipeline(config), 'BAD_ROW');
      expect(error).to.include({ stream: 'accounts', sqlstate: '23514' });
      expect(error.row).to.include({ id: '5' });
      await expect(this.pg.table('accounts', 'destination')).to.have.rows(goodRows.slice(1, 4).concat({ id: 1, owner: 'ada', balance: 100 }));
      await this.pg.sql.unsafe(`alter table ${this.pg.table('accounts', 'destination')} drop constraint small_balances`);
      await sync().runPipeline(config);
      await expect(this.pg.table('accounts', 'destination')).to.have.rows([...goodRows, { id: 5, owner: 'rich', balance: 5000 }]);
    });
  });
});
