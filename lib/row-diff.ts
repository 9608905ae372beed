/**
 * Comparing rows the way a user expects: values are normalised by the *actual* column's Postgres
 * type, so `10.5` matches numeric `'10.50'`, `'2024-01-02'` matches a `date`, and json compares by
 * value whatever its key order. Text stays text: `'007'` never equals `7`.
 */

export type Row = Record<string, unknown>;

/** Postgres type OIDs the normalisation knows. */
const NUMERIC_TYPES = new Set([20, 21, 23, 26, 700, 701, 1700]);
const DATE = 1082;
const TIMESTAMP = 1114;
const TIMESTAMPTZ = 1184;
const JSON_TYPES = new Set([114, 3802]);
const BOOL = 16;

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as object).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Row)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function canonicalNumber(value: unknown): string | undefined {
  const text = typeof value === 'bigint' ? value.toString() : typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : undefined;
  if (text === undefined || !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return undefined;
  if (/e/i.test(text) || typeof value === 'number') return String(Number(text));
  // Exact decimal text: drop a leading +, leading zeros and trailing fractional zeros.
  const negative = text.startsWith('-');
  let [int = '0', frac = ''] = text.replace(/^[+-]/, '').split('.');
  int = int.replace(/^0+(?=\d)/, '');
  frac = frac.replace(/0+$/, '');
  const out = frac ? `${int}.${frac}` : int;
  return negative && out !== '0' ? `-${out}` : out;
}

function isoDate(value: unknown): string | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  if (typeof value === 'string' || typeof value === 'number') {
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
  }
  return undefined;
}

function dateOnly(value: unknown): string | undefined {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  if (value instanceof Date && !Number.isNaN(value.getTime())) {
    // postgres.js reads a `date` as local midnight.
    const y = value.getFullYear();
    const m = String(value.getMonth() + 1).padStart(2, '0');
    const d = String(value.getDate()).padStart(2, '0');
    return `${y}-${m}-${d}`;
  }
  return isoDate(value)?.slice(0, 10);
}

/** One value in its comparable form, for a column of Postgres type `oid` (undefined: untyped). */
export function normalizeValue(value: unknown, oid?: number): string {
  if (value === null || value === undefined) return 'null';
  if (oid !== undefined && NUMERIC_TYPES.has(oid)) return `n:${canonicalNumber(value) ?? canonicalJson(value)}`;
  if (oid === DATE) return `d:${dateOnly(value) ?? canonicalJson(value)}`;
  if (oid === TIMESTAMP || oid === TIMESTAMPTZ) return `t:${isoDate(value) ?? canonicalJson(value)}`;
  if (oid !== undefined && JSON_TYPES.has(oid)) return `j:${canonicalJson(typeof value === 'string' ? safeParse(value) : value)}`;
  if (oid === BOOL) return `b:${value === true || value === 't' || value === 'true'}`;
  if (Buffer.isBuffer(value)) return `x:${value.toString('hex')}`;
  if (value instanceof Date) return `t:${value.toISOString()}`;
  if (typeof value === 'bigint') return `n:${value}`;
  if (typeof value === 'object') return `j:${canonicalJson(value)}`;
  return `s:${String(value)}`;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A column of the actual result: its name and Postgres type. */
export interface ColumnType {
  name: string;
  type: number;
}

/** A row's comparable key: every column, in the actual column order, normalised by its type. */
export function rowKey(row: Row, columns: ColumnType[]): string {
  const names = columns.length ? columns.map((c) => c.name) : Object.keys(row).sort();
  const types = new Map(columns.map((c) => [c.name, c.type]));
  const extra = Object.keys(row).filter((k) => !names.includes(k)).sort();
  return [...names, ...extra].map((n) => `${n}=${n in row ? normalizeValue(row[n], types.get(n)) : '<missing>'}`).join('\u0001');
}

/** What differs between actual and expected rows. */
export interface RowDiff {
  /** Expected rows not found in the actual rows. */
  missing: Row[];
  /** Actual rows nobody expected. */
  unexpected: Row[];
  /** For the first missing row, the closest actual row's differing columns. */
  firstDifference?: { expected: Row; actual: Row; columns: string[] };
  /** With `ordered`, the first position whose row differs. */
  firstOutOfOrder?: number;
}

function differingColumns(expected: Row, actual: Row, columns: ColumnType[]): string[] {
  const types = new Map(columns.map((c) => [c.name, c.type]));
  const names = [...new Set([...Object.keys(expected), ...Object.keys(actual)])];
  return names.filter((n) => !(n in expected) || !(n in actual) || normalizeValue(expected[n], types.get(n)) !== normalizeValue(actual[n], types.get(n)));
}

/**
 * Compares rows as multisets (or as sequences with `ordered`). With `subset`, actual rows that were
 * not expected are allowed.
 */
export function diffRows(actual: Row[], expected: Row[], columns: ColumnType[], options: { ordered?: boolean; subset?: boolean } = {}): RowDiff {
  const pool = new Map<string, Row[]>();
  for (const row of actual) {
    const key = rowKey(row, columns);
    pool.set(key, [...(pool.get(key) ?? []), row]);
  }
  const missing: Row[] = [];
  for (const row of expected) {
    const key = rowKey(row, columns);
    const hits = pool.get(key);
    if (hits?.length) hits.pop();
    else missing.push(row);
  }
  const unexpected = options.subset ? [] : [...pool.values()].flat();
  const diff: RowDiff = { missing, unexpected };
  const leftovers = [...pool.values()].flat();
  if (missing.length && leftovers.length) {
    const expectedRow = missing[0]!;
    let best = leftovers[0]!;
    let bestCount = Infinity;
    for (const candidate of leftovers) {
      const count = differingColumns(expectedRow, candidate, columns).length;
      if (count < bestCount) [best, bestCount] = [candidate, count];
    }
    diff.firstDifference = { expected: expectedRow, actual: best, columns: differingColumns(expectedRow, best, columns) };
  }
  if (options.ordered && !missing.length && !unexpected.length) {
    const at = expected.findIndex((row, i) => rowKey(row, columns) !== rowKey(actual[i] ?? {}, columns));
    if (at >= 0) diff.firstOutOfOrder = at;
  }
  return diff;
}

/** True when nothing differs. */
export function rowsMatch(diff: RowDiff): boolean {
  return !diff.missing.length && !diff.unexpected.length && diff.firstOutOfOrder === undefined;
}

function show(row: Row): string {
  return JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** The diff in words, for an assertion message. */
export function describeDiff(diff: RowDiff): string {
  const lines: string[] = [];
  if (diff.missing.length) lines.push(`missing rows (${diff.missing.length}):`, ...diff.missing.slice(0, 10).map((r) => `  - ${show(r)}`));
  if (diff.missing.length > 10) lines.push(`  … and ${diff.missing.length - 10} more`);
  if (diff.unexpected.length) lines.push(`unexpected rows (${diff.unexpected.length}):`, ...diff.unexpected.slice(0, 10).map((r) => `  + ${show(r)}`));
  if (diff.unexpected.length > 10) lines.push(`  … and ${diff.unexpected.length - 10} more`);
  if (diff.firstDifference) {
    const { expected, actual, columns } = diff.firstDifference;
    const first = columns[0];
    if (first) lines.push(`first differing column: ${first} (expected ${show({ v: expected[first] }).slice(5, -1)}, actual ${show({ v: actual[first] }).slice(5, -1)})`);
  }
  if (diff.firstOutOfOrder !== undefined) lines.push(`same rows, but out of order from position ${diff.firstOutOfOrder}`);
  return lines.join('\n');
}
