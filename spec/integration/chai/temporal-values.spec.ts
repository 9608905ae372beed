/**
 * date, timestamp, timestamptz, time and timetz compare the same in every time zone. This file runs
 * in the suite and again under TZ=UTC, America/Los_Angeles and Asia/Kolkata (spec/e2e/time-zones.spec.ts).
 */
import { expect } from '../../support/sql-expect.js';
import { shouldFail } from '../../support/should-fail.js';

describe('pgdock/chai: dates and times in any time zone', function () {
  // Only in the child runs of spec/e2e/time-zones.spec.ts: proof that TZ reached the process.
  const offset = process.env.PGDOCK_SPEC_TZ_OFFSET;
  if (offset !== undefined) {
    it(`runs in the time zone the time-zone spec asked for (TZ=${process.env.TZ})`, function () {
      expect(new Date('2024-01-15T12:00:00Z').getTimezoneOffset()).to.equal(Number(offset));
    });
  }

  beforeEach(async function () {
    await this.pg.sql.unsafe(`create table ${this.pg.table('events')} (id int primary key, d date, ts timestamp, tstz timestamptz, t time, ttz timetz);
      insert into ${this.pg.table('events')} values
        (1, '2024-01-02', '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.5+05:30', '03:04:05.25', '03:04:05+05:30'),
        (2, '2024-03-10', '2024-03-10 02:30:00', '2024-11-03 01:30:00-07', '24:00:00', '23:59:59-08'),
        (3, '0044-03-15 BC', '1900-01-01 00:00:00', 'infinity', '00:00:00', '00:00:00+00'),
        (4, null, null, null, null, null)`);
  });

  const rows = [
    { id: 1, d: '2024-01-02', ts: '2024-01-02T03:04:05.123456', tstz: '2024-01-01T21:34:05.5Z', t: '03:04:05.25', ttz: '03:04:05+05:30' },
    { id: 2, d: '2024-03-10', ts: '2024-03-10T02:30:00', tstz: '2024-11-03T08:30:00Z', t: '24:00:00', ttz: '23:59:59-08:00' },
    { id: 3, d: '0044-03-15 BC', ts: '1900-01-01T00:00:00', tstz: 'infinity', t: '00:00:00', ttz: '00:00:00+00:00' },
    { id: 4, d: null, ts: null, tstz: null, t: null, ttz: null },
  ];

  it('a table matches in canonical form, and in the other ways people write these values', async function () {
    const events = this.pg.table('events');
    await expect(events).to.have.rows(rows);
    await expect(events).to.have.ordered.rows(rows);
    await expect(events).to.include.rows([
      { id: 1, d: '2024-1-2', ts: '2024-01-02 03:04:05.1234560', tstz: '2024-01-02 03:04:05.500+05:30', t: '3:04:05.250', ttz: '03:04:05+0530' },
      { id: 2, d: '2024-03-10T23:59:59-05:00', ts: '2024-03-10 02:30', tstz: '2024-11-03T01:30:00-07:00', t: '24:00', ttz: '23:59:59-08' },
    ]);
  });

  it('a Date means what postgres.js writes for it: its UTC day, UTC wall time, instant, UTC time of day', async function () {
    await expect(this.pg.table('events')).to.include.rows([{
      id: 1, d: new Date('2024-01-02T00:00:00Z'), ts: '2024-01-02T03:04:05.123456', tstz: new Date('2024-01-01T21:34:05.500Z'),
      t: new Date('1970-01-01T03:04:05.250Z'), ttz: '03:04:05+05:30',
    }]);
    await this.pg.sql.unsafe(`create table ${this.pg.table('whole')} (d date, ts timestamp, tstz timestamptz)`);
    const when = new Date('2024-06-30T23:30:00.250Z');
    await this.pg.sql`insert into ${this.pg.sql(this.pg.source)}.whole values (${when}, ${when}, ${when})`;
    await expect(this.pg.table('whole')).to.have.rows([{ d: when, ts: when, tstz: when }]);
    await expect(this.pg.table('whole')).to.have.rows([{ d: '2024-06-30', ts: '2024-06-30T23:30:00.25', tstz: '2024-06-30T23:30:00.25Z' }]);
  });

  it('a query is read as the server sends it; a query that already ran, as postgres.js decoded it', async function () {
    const select = () => this.pg.sql`select id, d, ts, tstz, t, ttz from ${this.pg.sql(this.pg.source)}.events where id in (1, 4) order by id`;
    await expect(select()).to.have.ordered.rows([rows[0]!, rows[3]!]);
    const ran = select();
    await ran;
    // Decoded values have milliseconds only: the microseconds of row 1 are gone on both sides.
    await expect(ran).to.have.ordered.rows([{ ...rows[0]!, ts: '2024-01-02T03:04:05.123' }, rows[3]!]);
  });

  it('timestamptz text in any session time zone is the same instant', async function () {
    await this.pg.sql.begin(async (tx) => {
      await tx`set local timezone = 'Asia/Kathmandu'`;
      await expect(tx`select tstz from ${tx(this.pg.source)}.events where id = 1`).to.have.rows([{ tstz: '2024-01-01T21:34:05.5Z' }]);
      await tx`set local timezone = 'America/St_Johns'`;
      await expect(tx`select tstz from ${tx(this.pg.source)}.events where id = 2`).to.have.rows([{ tstz: '2024-11-03T08:30:00Z' }]);
    });
  });

  it('every type still fails on a real difference, with both values in canonical form', async function () {
    const events = this.pg.table('events');
    const one = rows[0]!;
    await shouldFail(expect(events).to.include.rows([{ ...one, d: '2024-01-03' }]), 'first differing column: d (expected "2024-01-03", actual "2024-01-02")');
    await shouldFail(expect(events).to.include.rows([{ ...one, ts: '2024-01-02T03:04:05.12345' }]), 'first differing column: ts');
    await shouldFail(expect(events).to.include.rows([{ ...one, tstz: '2024-01-02T03:04:05.5Z' }]), 'first differing column: tstz (expected "2024-01-02T03:04:05.5Z", actual "2024-01-01T21:34:05.5Z")');
    await shouldFail(expect(events).to.include.rows([{ ...one, t: '03:04:05' }]), 'first differing column: t (expected "03:04:05", actual "03:04:05.25")');
    await shouldFail(expect(events).to.include.rows([{ ...one, ttz: '21:34:05+00' }]), 'first differing column: ttz (expected "21:34:05+00:00", actual "03:04:05+05:30")');
    await shouldFail(expect(events).to.include.rows([{ ...rows[2]!, d: '0044-03-15' }]), 'first differing column: d (expected "0044-03-15", actual "0044-03-15 BC")');
    await shouldFail(expect(events).to.include.rows([{ ...rows[2]!, tstz: '-infinity' }]), 'first differing column: tstz');
  });
});
