/**
 * "Must fail" cases: every false pass pgdock/chai had (issue #14, items 1–4), one test each. Each
 * assertion here passed, or failed with a raw driver error, before the fix. The file also runs under
 * several TZ values (spec/e2e/time-zones.spec.ts): some cases passed falsely only west or east of UTC.
 */
import { expect } from '../../support/sql-expect.js';
import { shouldFail } from '../../support/should-fail.js';

type Assertion = PromiseLike<unknown> | (() => unknown);

/** Must fail with a PgdockError of this code and a message matching `message`. */
async function failsWith(assertion: Assertion, code: string, message: RegExp | string): Promise<void> {
  const err = await shouldFail(assertion, message);
  expect(err, err.stack).to.have.property('code', code);
}

describe('pgdock/chai must-fail cases (no false passes)', function () {
  beforeEach(async function () {
    await this.pg.sql.unsafe(`create table ${this.pg.table('users')} (id int primary key, name text, balance numeric(10,2), active boolean);
      insert into ${this.pg.table('users')} values (1, 'ada', 10.50, true), (2, 'grace', 0, false)`);
  });

  describe('1. a table that does not exist, however its name is written', function () {
    it('.exist on `${destination}.nothing`', async function () {
      await shouldFail(async () => expect(`${this.pg.destination}.nothing`).to.exist, `expected the table ${this.pg.destination}.nothing to exist`);
    });
    it('.exist on public.no_such_table', async function () {
      await shouldFail(async () => expect('public.no_such_table').to.exist, /^expected the table public\.no_such_table to exist\n/);
    });
    it('.exist on schema."Nothing"', async function () {
      await shouldFail(async () => expect(`${this.pg.source}."Nothing"`).to.exist, `expected the table ${this.pg.source}."Nothing" to exist`);
    });
    it('.exist on schema.Orders when the table is "Orders" (unquoted names fold to lower case)', async function () {
      await this.pg.sql.unsafe(`create table ${this.pg.table('Orders')} (id int)`);
      await shouldFail(async () => expect(`${this.pg.source}.Orders`).to.exist, `Did you mean "${this.pg.source}"."Orders"?`);
    });
    it('.exist on this.pg.table() of a table never created', async function () {
      await shouldFail(async () => expect(this.pg.table('ghost', 'destination')).to.exist, /expected the table dst_\w+\."ghost" to exist/);
    });
    it('.not.exist on a table that exists (and passes on one that does not)', async function () {
      await expect(`${this.pg.destination}.nothing`).not.to.exist;
      await expect('public.no_such_table').not.to.exist;
      await shouldFail(async () => expect(`${this.pg.source}.users`).not.to.exist, `expected the table ${this.pg.source}.users not to exist`);
    });
    it('.rowCount(0) on a missing table: ERR_PGDOCK_NO_SUCH_TABLE', async function () {
      await failsWith(expect('public.no_such_table').to.have.rowCount(0), 'ERR_PGDOCK_NO_SUCH_TABLE', 'there is no table public.no_such_table');
    });
    it('.not.rowCount(3) on a missing table', async function () {
      await failsWith(expect(`${this.pg.source}.nothing`).not.to.have.rowCount(3), 'ERR_PGDOCK_NO_SUCH_TABLE', `The schema "${this.pg.source}" has: users.`);
    });
    it('.rows([]) on a missing table', async function () {
      await failsWith(expect(`${this.pg.destination}.nothing`).to.have.rows([]), 'ERR_PGDOCK_NO_SUCH_TABLE', `The schema "${this.pg.destination}" has no tables yet`);
    });
    it('.not.rows() on a missing table', async function () {
      await failsWith(expect('public.no_such_table').not.to.have.rows([{ id: 1 }]), 'ERR_PGDOCK_NO_SUCH_TABLE', 'there is no table');
    });
    it('.include.columns() on a missing table', async function () {
      await failsWith(expect('public.no_such_table').to.include.columns({ id: 'int' }), 'ERR_PGDOCK_NO_SUCH_TABLE', 'there is no table');
    });
    it('.empty on a missing table', async function () {
      await failsWith(async () => expect(`${this.pg.source}.nothing`).to.be.empty, 'ERR_PGDOCK_NO_SUCH_TABLE', 'has: users');
    });
    it('.not.empty on a missing table', async function () {
      await failsWith(async () => expect('public.no_such_table').not.to.be.empty, 'ERR_PGDOCK_NO_SUCH_TABLE', 'there is no table');
    });
    it('.rowCount on a table in a schema that does not exist', async function () {
      await failsWith(expect('no_such_schema.t').to.have.rowCount(0), 'ERR_PGDOCK_NO_SUCH_TABLE', 'There is no schema "no_such_schema" either');
    });
    it('.exist on a query reading a missing table', async function () {
      await failsWith(async () => expect(this.pg.sql`select * from no_such_table`).to.exist, 'ERR_PGDOCK_NO_SUCH_TABLE', 'relation "no_such_table" does not exist');
    });
    it('.not.exist on a query reading a missing table', async function () {
      await failsWith(async () => expect(this.pg.sql`select * from no_such_table`).not.to.exist, 'ERR_PGDOCK_NO_SUCH_TABLE', 'does not exist');
    });
    it('.exist on a query returning no rows (a query exists when it returns rows, as SQL EXISTS)', async function () {
      await shouldFail(async () => expect(this.pg.sql`select 1 where false`).to.exist, 'to return rows (exist) but it returned none');
      await expect(this.pg.sql`select 1 where false`).not.to.exist;
    });
    it('.not.rows([]) on a query reading a missing table', async function () {
      await failsWith(expect(this.pg.sql`select * from no_such_table`).not.to.have.rows([]), 'ERR_PGDOCK_NO_SUCH_TABLE', 'does not exist');
    });
    it('.rowCount on a query reading a missing column: ERR_PGDOCK_NO_SUCH_COLUMN', async function () {
      await failsWith(expect(this.pg.sql`select email from ${this.pg.sql(this.pg.source)}.users`).to.have.rowCount(2), 'ERR_PGDOCK_NO_SUCH_COLUMN', 'column "email" does not exist');
    });
    it('a query that fails otherwise: ERR_PGDOCK_QUERY_FAILED', async function () {
      await failsWith(expect(this.pg.sql`select nonsense(`).to.have.rowCount(1), 'ERR_PGDOCK_QUERY_FAILED', 'syntax error');
    });
    it('.exist on a bare name (a table or a plain string?) throws', function () {
      expect(() => expect('no_such_table').to.exist).to.throw(TypeError, '.exist on `"no_such_table"` (string) is ambiguous');
      expect(() => expect('"Users"').to.exist).to.throw(TypeError, "this.pg.table('Users')");
      expect(() => expect('postgres.public.users').to.exist).to.throw(TypeError, 'is ambiguous');
    });
    it('.not.exist on a bare name throws', function () {
      expect(() => expect('no_such_table').not.to.exist).to.throw(TypeError, 'is ambiguous');
    });
    it('.not.empty on a bare name throws', function () {
      expect(() => expect('no_such_table').not.to.be.empty).to.throw(TypeError, '.empty on `"no_such_table"` (string) is ambiguous: it could be a table name or a plain string');
    });
    it('.not.empty on a schema pgdock named that has no tables', async function () {
      await shouldFail(async () => expect(this.pg.destination).not.to.be.empty, `expected the schema ${this.pg.destination} not to be empty`);
      await shouldFail(async () => expect(this.pg.source).to.be.empty, 'to be empty but it has 1 table(s)');
    });
    it('.rows() naming a column the table lacks: ERR_PGDOCK_NO_SUCH_COLUMN, not a diff against null', async function () {
      const users = this.pg.table('users');
      await failsWith(expect(users).to.have.rows([{ id: 1, name: 'ada', balance: 10.5, active: true, email: null }]), 'ERR_PGDOCK_NO_SUCH_COLUMN',
        `.rows() expects a column email that the table ${users} does not have (it has: id, name, balance, active)`);
    });
    it('.not.rows() naming a column the table lacks', async function () {
      await failsWith(expect(this.pg.table('users')).not.to.have.rows([{ id: 1, email: 'ada@example.com' }]), 'ERR_PGDOCK_NO_SUCH_COLUMN', 'expects a column email');
    });
    it('.include.rows() naming a column in the wrong case', async function () {
      await failsWith(expect(this.pg.table('users')).to.include.rows([{ id: 1, Name: 'ada' }]), 'ERR_PGDOCK_NO_SUCH_COLUMN', 'expects a column Name');
    });
    it('.not.rows() with rows that leave out columns (they could never match)', async function () {
      await shouldFail(expect(this.pg.table('users')).not.to.have.rows([{ id: 1, name: 'ada' }]), 'the expected rows give no value for balance, active');
    });
  });

  describe('2. values that compared differently by time zone', function () {
    // One column per table, so that a false pass in one type is not hidden by a difference in another.
    beforeEach(async function () {
      const t = (name: string) => this.pg.table(name);
      await this.pg.sql.unsafe(`create table ${t('days')} (d date); insert into ${t('days')} values ('2024-01-02');
        create table ${t('stamps')} (ts timestamp); insert into ${t('stamps')} values ('2024-03-10 02:30:00');
        create table ${t('fine')} (ts timestamp); insert into ${t('fine')} values ('2024-01-02 03:04:05.123456');
        create table ${t('instants')} (tstz timestamptz); insert into ${t('instants')} values ('2024-01-02 03:04:05+00')`);
    });
    const source = (ctx: Mocha.Context) => ctx.pg.sql(ctx.pg.source);

    it('a date matched the day before it, on a table (west of UTC)', async function () {
      await shouldFail(expect(this.pg.table('days')).to.have.rows([{ d: '2024-01-01' }]), 'first differing column: d (expected "2024-01-01", actual "2024-01-02")');
    });
    it('a date matched the day before it, in a query (west of UTC)', async function () {
      await shouldFail(expect(this.pg.sql`select d from ${source(this)}.days`).to.have.rows([{ d: '2024-01-01' }]), 'first differing column: d');
    });
    it('a timestamp in a daylight-saving gap matched the hour after it, on a table (America/Los_Angeles)', async function () {
      await shouldFail(expect(this.pg.table('stamps')).to.have.rows([{ ts: '2024-03-10T03:30:00' }]),
        'first differing column: ts (expected "2024-03-10T03:30:00", actual "2024-03-10T02:30:00")');
    });
    it('the same, in a query', async function () {
      await shouldFail(expect(this.pg.sql`select ts from ${source(this)}.stamps`).to.have.rows([{ ts: '2024-03-10 03:30' }]), 'first differing column: ts');
    });
    it('microseconds were dropped: .123456 matched .123 (everywhere)', async function () {
      await shouldFail(expect(this.pg.table('fine')).to.have.rows([{ ts: '2024-01-02T03:04:05.123' }]), 'first differing column: ts (expected "2024-01-02T03:04:05.123", actual "2024-01-02T03:04:05.123456")');
    });
    it('a timestamptz written without a zone was read as local time (east of UTC)', async function () {
      await shouldFail(expect(this.pg.table('instants')).to.have.rows([{ tstz: '2024-01-02T08:34:05' }]),
        'first differing column: tstz (expected "2024-01-02T08:34:05Z", actual "2024-01-02T03:04:05Z")');
    });
    it('the same, west of UTC', async function () {
      await shouldFail(expect(this.pg.table('instants')).to.have.rows([{ tstz: '2024-01-01T19:04:05' }]), 'first differing column: tstz');
    });
  });

  describe('3. values that are not what the column holds', function () {
    it('a boolean false matched any string', async function () {
      await shouldFail(expect(this.pg.table('users')).to.have.rows([{ id: 1, name: 'ada', balance: 10.5, active: true }, { id: 2, name: 'grace', balance: 0, active: 'banana' }]),
        'first differing column: active (expected "banana", actual false)');
    });
  });

  describe('4. .ordered on a table', function () {
    beforeEach(async function () {
      await this.pg.sql.unsafe(`create table ${this.pg.table('ranked')} (id int primary key, name text);
        insert into ${this.pg.table('ranked')} values (3, 'c'), (1, 'a'), (2, 'b')`);
      await this.pg.sql.unsafe(`create table ${this.pg.table('loose')} (id int, name text); insert into ${this.pg.table('loose')} values (3, 'c'), (1, 'a')`);
    });
    it('storage order (3, 1, 2) passed; primary-key order is what counts', async function () {
      const ranked = this.pg.table('ranked');
      await shouldFail(expect(ranked).to.have.ordered.rows([{ id: 3, name: 'c' }, { id: 1, name: 'a' }, { id: 2, name: 'b' }]), 'same rows, but out of order from position 0');
      await expect(ranked).not.to.have.ordered.rows([{ id: 3, name: 'c' }, { id: 1, name: 'a' }, { id: 2, name: 'b' }]);
    });
    it('primary-key order (1, 2, 3) failed; it passes', async function () {
      await expect(this.pg.table('ranked')).to.have.ordered.rows([{ id: 1, name: 'a' }, { id: 2, name: 'b' }, { id: 3, name: 'c' }]);
    });
    it('a table with no primary key: fails, saying to pass a query with ORDER BY', async function () {
      await failsWith(expect(this.pg.table('loose')).to.have.ordered.rows([{ id: 3, name: 'c' }, { id: 1, name: 'a' }]), 'ERR_PGDOCK_NO_PRIMARY_KEY', 'Pass a query with ORDER BY');
    });
    it('a table with no primary key, negated: fails too', async function () {
      await failsWith(expect(this.pg.table('loose')).not.to.have.ordered.rows([{ id: 1, name: 'a' }, { id: 3, name: 'c' }]), 'ERR_PGDOCK_NO_PRIMARY_KEY', 'it has no primary key');
      await expect(this.pg.sql`select * from ${this.pg.sql(this.pg.source)}.loose order by id`).to.have.ordered.rows([{ id: 1, name: 'a' }, { id: 3, name: 'c' }]);
    });
  });
});
