import * as chai from 'chai';
import pgdockChai from '../../../lib/chai/sql-assertions.js';
import { shouldFail } from '../../support/should-fail.js';

chai.use(pgdockChai);
const { expect } = chai;

describe('pgdock/chai: assertions that speak SQL', function () {
  beforeEach(async function () {
    const users = this.pg.table('users');
    await this.pg.sql.unsafe(`create table ${users} (id bigint primary key, name text, balance numeric(10,2), born date,
      seen timestamptz, tags jsonb, active boolean)`);
    await this.pg.sql.unsafe(`insert into ${users} values
      (1, 'ada', 10.50, '1815-12-10', '2024-01-02T03:04:05Z', '{"b":1,"a":[1,2]}', true),
      (2, 'grace', 0, '1906-12-09', null, null, false)`);
    await this.pg.sql.unsafe(`create table ${this.pg.table('nothing')} (id int)`);
  });

  describe('rowCount', function () {
    it('passes, fails with the count, and negates, on a table and on a query', async function () {
      await expect(this.pg.table('users')).to.have.rowCount(2);
      await expect(this.pg.sql`select 1 union all select 2 union all select 3`).to.have.rowCount(3);
      await shouldFail(expect(this.pg.table('users')).to.have.rowCount(3), `expected the table ${this.pg.table('users')} to have 3 row(s) but it has 2`);
      await expect(this.pg.table('users')).not.to.have.rowCount(3);
      await shouldFail(expect(this.pg.table('users')).not.to.have.rowCount(2), 'not to have 2 row(s)');
    });
  });

  describe('rows', function () {
    it('matches in any order, after normalising bigint, numeric, date, timestamptz, json and boolean', async function () {
      await expect(this.pg.table('users')).to.have.rows([
        { id: 2, name: 'grace', balance: '0.00', born: '1906-12-09', seen: null, tags: null, active: false },
        { id: '1', name: 'ada', balance: 10.5, born: '1815-12-10', seen: '2024-01-02T03:04:05.000Z', tags: { a: [1, 2], b: 1 }, active: true },
      ]);
    });

    it('fails with a row-level diff: missing, unexpected, first differing column; and chai diff data', async function () {
      const err = await shouldFail(
        expect(this.pg.sql`select id, name from ${this.pg.sql(this.pg.source)}.users order by id`).to.have.rows([{ id: 1, name: 'ada' }, { id: 2, name: 'Grace' }]),
        /missing rows \(1\):\n {2}- \{"id":2,"name":"Grace"\}\nunexpected rows \(1\):\n {2}\+ \{"id":2,"name":"grace"\}\nfirst differing column: name \(expected "Grace", actual "grace"\)/,
      );
      const data = err as Error & { showDiff?: boolean; expected?: unknown; actual?: unknown };
      expect(data.showDiff).to.equal(true);
      expect(data.expected).to.deep.equal([{ id: 1, name: 'ada' }, { id: 2, name: 'Grace' }]);
      expect(data.actual).to.deep.equal([{ id: 1, name: 'ada' }, { id: 2, name: 'grace' }]);
    });

    it('diff data holds normalised rows side by side, so only real differences show', async function () {
      // Row order, numeric scale, a Date for a date, key order in json, bigint as text: all noise.
      const err = await shouldFail(expect(this.pg.table('users')).to.have.rows([
        { id: 2, name: 'grace', balance: 0, born: new Date('1906-12-09T00:00:00Z'), seen: null, tags: null, active: 'f' },
        { id: 1n, name: 'ada', balance: '10.5', born: '1815-12-10', seen: new Date('2024-01-02T03:04:05Z'), tags: '{"a":[1,2],"b":2}', active: true },
      ]), 'first differing column: tags (expected {"a":[1,2],"b":2}, actual {"a":[1,2],"b":1})');
      const { expected, actual } = err as Error & { expected: unknown[]; actual: unknown[] };
      const grace = { id: 2, name: 'grace', balance: 0, born: '1906-12-09', seen: null, tags: null, active: false };
      const ada = { id: 1, name: 'ada', balance: 10.5, born: '1815-12-10', seen: '2024-01-02T03:04:05Z', active: true };
      expect(expected).to.deep.equal([grace, { ...ada, tags: { a: [1, 2], b: 2 } }]);
      expect(actual).to.deep.equal([grace, { ...ada, tags: { a: [1, 2], b: 1 } }]);
      // As a reporter draws it (one value per line): one line differs.
      const lines = (rows: unknown[]) => JSON.stringify(rows, null, 2).split('\n');
      expect(lines(expected).filter((line, i) => line !== lines(actual)[i])).to.deep.equal(['      "b": 2']);
    });

    it('rows nobody expected come after the matched ones; .include.rows shows only the rows it looked for', async function () {
      const err = await shouldFail(expect(this.pg.table('users')).to.have.rows([{ id: 1, name: 'ada', balance: 10.5, born: '1815-12-10', seen: '2024-01-02T03:04:05Z', tags: { a: [1, 2], b: 1 }, active: false }]), 'unexpected rows (2)');
      const { expected, actual } = err as Error & { expected: Array<{ id: number }>; actual: Array<{ id: number; active: boolean }> };
      expect(expected.map((r) => r.id)).to.deep.equal([1]);
      expect(actual.map((r) => [r.id, r.active])).to.deep.equal([[1, true], [2, false]]);
      const subset = await shouldFail(expect(this.pg.table('users')).to.include.rows([{ id: 1, name: 'Ada', balance: 10.5, born: '1815-12-10', seen: '2024-01-02T03:04:05Z', tags: { a: [1, 2], b: 1 }, active: true }]), 'first differing column: name');
      expect((subset as Error & { actual: Array<{ name: string }> }).actual.map((r) => r.name)).to.deep.equal(['ada']);
    });

    it('text stays text: "007" is not 7', async function () {
      await this.pg.sql.unsafe(`create table ${this.pg.table('codes')} (code text); insert into ${this.pg.table('codes')} values ('007')`);
      await shouldFail(expect(this.pg.table('codes')).to.have.rows([{ code: 7 }]), 'first differing column: code');
      await expect(this.pg.table('codes')).to.have.rows([{ code: '007' }]);
    });

    it('negates', async function () {
      await expect(this.pg.sql`select id, name from ${this.pg.sql(this.pg.source)}.users`).not.to.have.rows([{ id: 1, name: 'ada' }]);
      await shouldFail(expect(this.pg.sql`select 1 as one`).not.to.have.rows([{ one: 1 }]), 'not to have these rows, but it does');
    });

    it('.ordered requires the order; .include.rows accepts a subset', async function () {
      const q = () => this.pg.sql`select id::int, name from ${this.pg.sql(this.pg.source)}.users order by id`;
      await expect(q()).to.have.ordered.rows([{ id: 1, name: 'ada' }, { id: 2, name: 'grace' }]);
      await shouldFail(expect(q()).to.have.ordered.rows([{ id: 2, name: 'grace' }, { id: 1, name: 'ada' }]), 'out of order from position 0');
      await expect(q()).not.to.have.ordered.rows([{ id: 2, name: 'grace' }, { id: 1, name: 'ada' }]);
      await expect(q()).to.include.rows([{ id: 2, name: 'grace' }]);
      await shouldFail(expect(q()).to.include.rows([{ id: 3, name: 'hopper' }]), /to include these rows\nmissing rows \(1\)/);
      await expect(q()).not.to.include.rows([{ id: 3, name: 'hopper' }]);
      await shouldFail(expect(q()).not.to.include.rows([{ id: 1, name: 'ada' }]), 'not to include these rows');
    });
  });

  describe('columns', function () {
    it('checks names and types (with common aliases), exact or .include', async function () {
      const all = { id: 'bigint', name: 'text', balance: 'numeric(10,2)', born: 'date', seen: 'timestamptz', tags: 'jsonb', active: 'bool' };
      await expect(this.pg.table('users')).to.have.columns(all);
      await expect(this.pg.table('users')).to.include.columns({ id: 'int8', name: 'text' });
      await shouldFail(expect(this.pg.table('users')).to.have.columns({ id: 'integer', name: 'text' }),
        /column id is bigint, not integer\nunexpected column balance \(numeric\(10,2\)\)/);
      await shouldFail(expect(this.pg.table('users')).to.include.columns({ email: 'text' }), 'missing column email (text)');
      await expect(this.pg.table('users')).not.to.have.columns({ id: 'integer' });
      await shouldFail(expect(this.pg.table('users')).not.to.have.columns(all), 'not to have these columns');
      await expect(this.pg.sql`select 1::int as one, 'x'::text as t, now() as at`).to.have.columns({ one: 'int4', t: 'text', at: 'timestamptz' });
      await shouldFail(expect(this.pg.sql`select 1::int as one`).to.have.columns({ one: 'bigint' }), 'column one is integer, not bigint');
    });
  });

  describe('exist and empty', function () {
    it('.exist checks tables (schema.table) and schemas pgdock named; other values keep chai\'s meaning', async function () {
      await expect(this.pg.table('users')).to.exist;
      await expect(`${this.pg.source}.users`).to.exist;
      await expect(this.pg.destination).to.exist;
      await expect(this.pg.table('nope', 'destination')).not.to.exist;
      await shouldFail(async () => expect(this.pg.table('ghost')).to.exist, /expected the table src_\w+\."ghost" to exist/);
      await shouldFail(async () => expect(this.pg.table('users')).not.to.exist, 'not to exist');
      expect('plain string').to.exist;
      expect(42).to.exist;
      expect(() => expect(undefined).to.exist).to.throw(/to exist/);
      expect(() => expect('users').to.exist).to.throw(TypeError, 'is ambiguous');
    });

    it('.empty checks tables, schemas pgdock named and queries; other strings and arrays keep chai\'s meaning', async function () {
      await expect(this.pg.table('nothing')).to.be.empty;
      await expect(this.pg.destination).to.be.empty;
      await expect(this.pg.source).not.to.be.empty;
      await expect(this.pg.sql`select 1 where false`).to.be.empty;
      await shouldFail(async () => expect(this.pg.table('users')).to.be.empty, 'to be empty but it has 2 row(s)');
      await expect(this.pg.table('users')).not.to.be.empty;
      await shouldFail(async () => expect(this.pg.table('nothing')).not.to.be.empty, 'not to be empty');
      expect('').to.be.empty;
      expect('two words').not.to.be.empty;
      expect([1]).not.to.be.empty;
    });
  });

  describe('misuse', function () {
    it('throws a TypeError naming the value', function () {
      expect(() => expect(42).to.have.rowCount(1)).to.throw(TypeError, 'needs a table name (e.g. this.pg.table(\'users\')) or a postgres.js query, got `42` (number)');
      expect(() => expect('x; drop table y').to.have.rowCount(1)).to.throw(TypeError, 'got `"x; drop table y"` (string)');
      expect(() => expect(this.pg.table('users')).to.have.rowCount(-1)).to.throw(TypeError, 'needs a whole number of rows, got `-1` (number)');
      expect(() => expect(this.pg.table('users')).to.have.rows({ id: 1 } as never)).to.throw(TypeError, 'needs an array of row objects');
      expect(() => expect(this.pg.table('users')).to.have.columns(['id'] as never)).to.throw(TypeError, 'needs an object of column names');
    });
  });
});
