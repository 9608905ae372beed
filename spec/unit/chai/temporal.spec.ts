import { expect } from 'chai';
import {
  canonicalDate, canonicalInstant, canonicalTime, canonicalTimestamp, dateOfDate, instantOfDate, timeOfDate, timestampOfDate,
} from '../../../lib/chai/temporal.js';

describe('chai/temporal: canonical dates and times, by UTC arithmetic only', function () {
  it('date: the calendar day as written, BC and infinity kept, a time part ignored', function () {
    expect(canonicalDate('2024-01-02')).to.equal('2024-01-02');
    expect(canonicalDate('2024-1-2')).to.equal('2024-01-02');
    expect(canonicalDate('0044-03-15 BC')).to.equal('0044-03-15 BC');
    expect(canonicalDate('10000-01-01')).to.equal('10000-01-01');
    expect(canonicalDate('2024-01-02T23:30:00-08:00')).to.equal('2024-01-02');
    expect(canonicalDate('infinity')).to.equal('infinity');
    expect(canonicalDate('-Infinity')).to.equal('-infinity');
    expect(canonicalDate('02/01/2024')).to.equal(undefined);
  });

  it('timestamp: the wall time as written; a zone is ignored, as Postgres ignores it; 24:00 is the next day', function () {
    expect(canonicalTimestamp('2024-03-10 02:30:00')).to.equal('2024-03-10T02:30:00');
    expect(canonicalTimestamp('2024-01-02T03:04:05.123450')).to.equal('2024-01-02T03:04:05.12345');
    expect(canonicalTimestamp('2024-01-02T03:04:05.000Z')).to.equal('2024-01-02T03:04:05');
    expect(canonicalTimestamp('2024-01-02 03:04')).to.equal('2024-01-02T03:04:00');
    expect(canonicalTimestamp('2024-01-02')).to.equal('2024-01-02T00:00:00');
    expect(canonicalTimestamp('2024-12-31 24:00:00')).to.equal('2025-01-01T00:00:00');
    expect(canonicalTimestamp('0044-03-15 12:00:00 BC')).to.equal('0044-03-15T12:00:00 BC');
  });

  it('timestamptz: the instant in UTC, from any offset (hours, minutes, seconds); no zone means UTC', function () {
    expect(canonicalInstant('2024-01-02 03:04:05+00')).to.equal('2024-01-02T03:04:05Z');
    expect(canonicalInstant('2024-01-02 03:04:05.5+05:30')).to.equal('2024-01-01T21:34:05.5Z');
    expect(canonicalInstant('2024-01-01 23:00:00-0130')).to.equal('2024-01-02T00:30:00Z');
    expect(canonicalInstant('1900-01-01 00:00:00+05:53:28')).to.equal('1899-12-31T18:06:32Z');
    expect(canonicalInstant('2024-01-02T03:04:05')).to.equal('2024-01-02T03:04:05Z');
    expect(canonicalInstant('2024-01-02T03:04:05.123456Z')).to.equal('2024-01-02T03:04:05.123456Z');
    expect(canonicalInstant('infinity')).to.equal('infinity');
  });

  it('time and timetz', function () {
    expect(canonicalTime('3:04', false)).to.equal('03:04:00');
    expect(canonicalTime('03:04:05.250', false)).to.equal('03:04:05.25');
    expect(canonicalTime('24:00:00', false)).to.equal('24:00:00');
    expect(canonicalTime('03:04:05+0530', true)).to.equal('03:04:05+05:30');
    expect(canonicalTime('23:59:59-08', true)).to.equal('23:59:59-08:00');
    expect(canonicalTime('03:04:05', true)).to.equal('03:04:05+00:00');
  });

  it('a Date reads by its UTC fields, as postgres.js writes it, whatever TZ this process has', function () {
    const local = new Date(2024, 0, 2); // local midnight: its UTC day depends on TZ, as it does in Postgres
    expect(dateOfDate(local)).to.equal(local.toISOString().slice(0, 10));
    expect(dateOfDate(new Date('2024-01-02'))).to.equal('2024-01-02');
    expect(timestampOfDate(new Date('2024-03-10T02:30:00.120Z'))).to.equal('2024-03-10T02:30:00.12');
    expect(instantOfDate(new Date('2024-01-02T03:04:05Z'))).to.equal('2024-01-02T03:04:05Z');
    expect(timeOfDate(new Date('1970-01-01T03:04:05.250Z'), false)).to.equal('03:04:05.25');
    expect(dateOfDate(new Date('x'))).to.equal(undefined);
  });
});
