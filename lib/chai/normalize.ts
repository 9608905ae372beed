// Covered by spec/integration/chai/sql-assertions.spec.ts and spec/integration/chai/temporal-values.spec.ts.
/**
 * Values in the form rows are compared and shown in: normalised by the *actual* column's Postgres
 * type, so `10.5` matches numeric `'10.50'`, `'2024-01-02'` matches a `date`, and json compares by
 * value whatever its key order. Text stays text: `'007'` never equals `7`. The same normal values
 * go into the failure message and into chai's `expected`/`actual`, so a diff marks only real
 * differences.
 */
import { canonicalNumber, displayNumber } from './numbers.js';
import type { ResultColumn } from './targets.js';
import {
  canonicalDate, canonicalInstant, canonicalTime, canonicalTimestamp, dateOfDate, instantOfDate, timeOfDate,
  timestampOfDate, timestampOfParsedDate,
} from './temporal.js';

/** A compared value: JSON-safe, objects with sorted keys. */
export type Normal = null | boolean | number | string | Normal[] | { [key: string]: Normal };

/** A row of normal values, by column name. */
export type NormalRow = Record<string, Normal>;

const NUMERIC = new Set([20, 21, 23, 26, 700, 701, 1700]);
const BOOL = 16;
const BYTEA = 17;
const JSON_TYPES = new Set([114, 3802]);
const UUID = 2950;
const DATE = 1082;
const TIME = 1083;
const TIMETZ = 1266;
const TIMESTAMP = 1114;
const TIMESTAMPTZ = 1184;

const TRUE_WORDS = new Set(['t', 'true', 'y', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['f', 'false', 'n', 'no', 'off', '0']);

function hex(bytes: Uint8Array): string {
  return `\\x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
}

/** Any JS value as a Normal: Dates as ISO text, bytes as `\x…`, bigints as numbers, object keys sorted. */
export function plain(value: unknown): Normal {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return displayNumber(value.toString());
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value instanceof Uint8Array) return hex(value);
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object') {
    const out: { [key: string]: Normal } = {};
    for (const key of Object.keys(value).sort()) out[key] = plain((value as Record<string, unknown>)[key]);
    return out;
  }
  return String(value);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** An expected value (what the user wrote), normalised for a column of type `oid`. */
function expectedScalar(value: unknown, oid: number): Normal {
  if (NUMERIC.has(oid)) {
    const n = typeof value === 'boolean' ? undefined : canonicalNumber(value);
    return n === undefined ? plain(value) : displayNumber(n);
  }
  if (oid === BOOL) {
    if (typeof value === 'boolean') return value;
    const word = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
    return word && TRUE_WORDS.has(word) ? true : word && FALSE_WORDS.has(word) ? false : plain(value);
  }
  if (JSON_TYPES.has(oid)) return plain(typeof value === 'string' ? parseJson(value) : value);
  if (oid === BYTEA) return typeof value === 'string' && /^\\x[0-9a-f]*$/i.test(value) ? value.toLowerCase() : plain(value);
  if (oid === UUID && typeof value === 'string') return value.toLowerCase();
  const temporal = expectedTemporal(value, oid);
  if (temporal !== undefined) return temporal;
  // A number written for a text column compares as its text: 7 matches '7', never '007'.
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return plain(value);
}

function expectedTemporal(value: unknown, oid: number): string | undefined {
  const isDate = value instanceof Date;
  if (!isDate && typeof value !== 'string') return undefined;
  const date = value as Date;
  const text = value as string;
  switch (oid) {
    case DATE: return isDate ? dateOfDate(date) : canonicalDate(text);
    case TIMESTAMP: return isDate ? timestampOfDate(date) : canonicalTimestamp(text);
    case TIMESTAMPTZ: return isDate ? instantOfDate(date) : canonicalInstant(text);
    case TIME: return isDate ? timeOfDate(date, false) : canonicalTime(text, false);
    case TIMETZ: return isDate ? timeOfDate(date, true) : canonicalTime(text, true);
    default: return undefined;
  }
}

/** The server's text for a value of `column` (pgdock reads results undecoded when it can). */
export function normalizeText(text: string | null, column: ResultColumn): Normal {
  if (text === null) return null;
  const oid = column.type;
  if (NUMERIC.has(oid)) return displayNumber(canonicalNumber(text) ?? text);
  if (oid === BOOL) return text === 't';
  if (JSON_TYPES.has(oid)) return plain(parseJson(text));
  if (oid === DATE) return canonicalDate(text) ?? text;
  if (oid === TIMESTAMP) return canonicalTimestamp(text) ?? text;
  if (oid === TIMESTAMPTZ) return canonicalInstant(text) ?? text;
  if (oid === TIME || oid === TIMETZ) return canonicalTime(text, oid === TIMETZ) ?? text;
  if (oid === BYTEA || oid === UUID) return text.toLowerCase();
  // Other types (arrays, ranges, extensions) as postgres.js would decode them for the user.
  const parser = column.parser;
  if (!parser) return text;
  return plain(parser.array === true ? parser(text.slice(1)) : parser(text));
}

/** A value postgres.js already decoded (a query that ran before pgdock saw it). */
export function normalizeParsed(value: unknown, column: ResultColumn): Normal {
  const oid = column.type;
  if (value === null || value === undefined) return null;
  if (JSON_TYPES.has(oid)) return plain(value);
  if (oid === TIMESTAMP && value instanceof Date) return timestampOfParsedDate(value) ?? 'Invalid Date';
  // Types postgres.js leaves as text (numeric, int8, time, text, ...) read as the server's text.
  if (typeof value === 'string') return normalizeText(value, { name: column.name, type: oid });
  if (NUMERIC.has(oid) || oid === BOOL || oid === BYTEA || oid === DATE || oid === TIMESTAMPTZ) return expectedScalar(value, oid);
  return plain(value);
}

/** A value the user expects in `column` (a column the result lacks: as written). */
export function normalizeExpected(value: unknown, column: ResultColumn | undefined): Normal {
  if (value === null || value === undefined) return null;
  return column ? expectedScalar(value, column.type) : plain(value);
}

/** A Normal as a string key: equal keys, equal values. */
export function normalKey(value: Normal): string {
  return JSON.stringify(value);
}
