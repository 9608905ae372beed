/**
 * Dates and times in one canonical text per value, computed with UTC arithmetic only, so the
 * process's time zone (`TZ`) never changes a result. Input is the server's text (DateStyle ISO) or
 * what a user writes in an expected row.
 */

/** A calendar date and wall time as written; `year` is astronomical (0 = 1 BC). */
interface Stamp {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Fractional-second digits, trailing zeros dropped ('' for none). */
  fraction: string;
  /** Offset east of UTC in seconds, when the text had a zone. */
  offset?: number;
}

const STAMP = /^([+-]?\d{4,})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{1,2}(?::?\d{2}(?::?\d{2})?)?)?(\s+BC)?$/i;
const TIME = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*(Z|[+-]\d{1,2}(?::?\d{2}(?::?\d{2})?)?)?$/i;
const INFINITE = /^[+-]?infinity$/i;

/** '+05:30' → 19800; 'Z' → 0. */
function parseOffset(zone: string): number {
  if (/^z$/i.test(zone)) return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(/:/g, '');
  const hours = digits.length % 2 === 1 ? digits.slice(0, 1) : digits.slice(0, 2);
  const rest = digits.slice(hours.length);
  return sign * (Number(hours) * 3600 + Number(rest.slice(0, 2) || 0) * 60 + Number(rest.slice(2, 4) || 0));
}

function parseStamp(text: string): Stamp | undefined {
  const m = STAMP.exec(text.trim());
  if (!m) return undefined;
  const stamp: Stamp = {
    year: m[9] ? 1 - Number(m[1]) : Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4] ?? 0),
    minute: Number(m[5] ?? 0),
    second: Number(m[6] ?? 0),
    fraction: (m[7] ?? '').replace(/0+$/, ''),
  };
  if (m[8]) stamp.offset = parseOffset(m[8]);
  return stamp;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** The stamp moved by `shiftSeconds` (UTC arithmetic: no time zone rules apply), carrying over days. */
function shifted(stamp: Stamp, shiftSeconds: number): Stamp | undefined {
  const d = new Date(0);
  d.setUTCFullYear(stamp.year, stamp.month - 1, stamp.day);
  d.setUTCHours(stamp.hour, stamp.minute, stamp.second - shiftSeconds, 0);
  if (Number.isNaN(d.getTime())) return undefined;
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), fraction: stamp.fraction };
}

function formatDay(s: Stamp): string {
  const bc = s.year <= 0;
  return `${pad(bc ? 1 - s.year : s.year, 4)}-${pad(s.month)}-${pad(s.day)}${bc ? ' BC' : ''}`;
}

function formatWall(hour: number, minute: number, second: number, fraction: string): string {
  return `${pad(hour)}:${pad(minute)}:${pad(second)}${fraction ? `.${fraction}` : ''}`;
}

function formatStamp(s: Stamp, zone: string): string {
  const day = formatDay(s);
  const wall = formatWall(s.hour, s.minute, s.second, s.fraction);
  return day.endsWith(' BC') ? `${day.slice(0, -3)}T${wall}${zone} BC` : `${day}T${wall}${zone}`;
}

function formatOffset(seconds: number): string {
  const sign = seconds < 0 ? '-' : '+';
  const abs = Math.abs(seconds);
  const tail = abs % 60 ? `:${pad(abs % 60)}` : '';
  return `${sign}${pad(Math.floor(abs / 3600))}:${pad(Math.floor((abs % 3600) / 60))}${tail}`;
}

/** A Date's UTC fields as ISO text, or undefined for an invalid Date. */
function isoOf(value: Date): string | undefined {
  return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
}

/** `date`: 'YYYY-MM-DD' (' BC' after BC years), or '±infinity'. A time part is ignored, as Postgres does. */
export function canonicalDate(text: string): string | undefined {
  if (INFINITE.test(text.trim())) return text.trim().toLowerCase().replace(/^\+/, '');
  const s = parseStamp(text);
  return s && formatDay(s);
}

/** `timestamp` (without time zone): 'YYYY-MM-DDTHH:MM:SS[.f]', the wall time as written; a zone is ignored, as Postgres does. */
export function canonicalTimestamp(text: string): string | undefined {
  if (INFINITE.test(text.trim())) return text.trim().toLowerCase().replace(/^\+/, '');
  const s = parseStamp(text);
  const normal = s && shifted(s, 0);
  return normal && formatStamp(normal, '');
}

/** `timestamptz`: the instant in UTC, 'YYYY-MM-DDTHH:MM:SS[.f]Z'. Text without a zone is read as UTC. */
export function canonicalInstant(text: string): string | undefined {
  if (INFINITE.test(text.trim())) return text.trim().toLowerCase().replace(/^\+/, '');
  const s = parseStamp(text);
  const utc = s && shifted(s, s.offset ?? 0);
  return utc && formatStamp(utc, 'Z');
}

/** `time` / `timetz`: 'HH:MM:SS[.f]', plus '+HH:MM' when `withZone` (no zone given: UTC). */
export function canonicalTime(text: string, withZone: boolean): string | undefined {
  const m = TIME.exec(text.trim());
  if (!m) return undefined;
  const wall = formatWall(Number(m[1]), Number(m[2]), Number(m[3] ?? 0), (m[4] ?? '').replace(/0+$/, ''));
  return withZone ? `${wall}${formatOffset(m[5] ? parseOffset(m[5]) : 0)}` : wall;
}

/** A Date given for a `date`: its UTC calendar day, as postgres.js writes a Date (toISOString). */
export function dateOfDate(value: Date): string | undefined {
  const iso = isoOf(value);
  return iso && canonicalDate(iso);
}

/** A Date given for a `timestamp`: its UTC wall time, as postgres.js writes a Date (the server drops the Z). */
export function timestampOfDate(value: Date): string | undefined {
  const iso = isoOf(value);
  return iso && canonicalTimestamp(iso);
}

/** A Date given for a `timestamptz`: its instant. */
export function instantOfDate(value: Date): string | undefined {
  const iso = isoOf(value);
  return iso && canonicalInstant(iso);
}

/** A Date given for a `time`/`timetz`: its UTC time of day. */
export function timeOfDate(value: Date, withZone: boolean): string | undefined {
  const iso = isoOf(value);
  return iso && canonicalTime(iso.slice(11, 23), withZone);
}

/**
 * A `timestamp` postgres.js already parsed: it read the server's text as *local* time, so the
 * local fields give the text back (except inside a daylight-saving gap, which is why pgdock reads
 * the server's text whenever it can).
 */
export function timestampOfParsedDate(value: Date): string | undefined {
  if (Number.isNaN(value.getTime())) return undefined;
  const ms = value.getMilliseconds();
  return formatStamp({
    year: value.getFullYear(), month: value.getMonth() + 1, day: value.getDate(),
    hour: value.getHours(), minute: value.getMinutes(), second: value.getSeconds(),
    fraction: ms ? pad(ms, 3).replace(/0+$/, '') : '',
  }, '');
}
