// Covered by spec/integration/chai/false-passes.spec.ts (missing tables, bad queries).
/**
 * Reading what an assertion checks. Table targets are read with pgdock's own SQL; every driver error
 * becomes a coded PgdockError (a missing table is ERR_PGDOCK_NO_SUCH_TABLE, never a raw error and
 * never an empty result). Rows are read as the server's text wherever possible, so no value passes
 * through postgres.js's time-zone-dependent Date parsing.
 */
import type { Sql } from 'postgres';
import { ErrorCodes, PgdockError } from '../errors.js';
import { normalizeParsed, normalizeText, type NormalRow } from './normalize.js';
import { assertionHost } from './host.js';
import { quoteName } from './relation-name.js';
import { assertionQueryError, missingTableError } from './sql-errors.js';
import type { QueryLike, ResultColumn, Target } from './targets.js';

type TableTarget = Extract<Target, { kind: 'table' }>;

/** Rows of a target, normalised by their columns' types. */
export interface ReadRows {
  rows: NormalRow[];
  columns: ResultColumn[];
}

type RawResult = Array<Array<Buffer | null>> & { columns: ResultColumn[] };
type ParsedResult = Array<Record<string, unknown> | unknown[]> & { columns?: ResultColumn[] };

/** Runs `work`; a driver error becomes a PgdockError naming the target. */
async function guarded<T>(target: Target, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw await assertionQueryError(err, target.label, target.kind === 'table' ? target : undefined);
  }
}

/** The table's oid (as text: oids run past 2^31), or ERR_PGDOCK_NO_SUCH_TABLE. */
async function tableOid(target: TableTarget): Promise<string> {
  const [row] = await guarded(target, () => target.sql<{ oid: string | null }[]>`select to_regclass(${target.text})::oid::text as oid`);
  if (row?.oid == null) throw await missingTableError(target.sql, target.text, target.parts);
  return row.oid;
}

/** The primary key's columns in key order, or ERR_PGDOCK_NO_PRIMARY_KEY. */
async function primaryKey(target: TableTarget): Promise<string[]> {
  const oid = await tableOid(target);
  const keys = await guarded(target, () => target.sql<{ name: string }[]>`
    select a.attname as name from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any (i.indkey)
    where i.indrelid = ${oid}::oid and i.indisprimary order by array_position(i.indkey::int2[], a.attnum)`);
  if (keys.length === 0) {
    throw new PgdockError(ErrorCodes.NO_PRIMARY_KEY,
      `pgdock: .ordered.rows() on ${target.label}: it has no primary key, so its rows have no order to check (a table's storage order is not one).`,
      `Pass a query with ORDER BY instead: expect(sql\`select * from ${target.text} order by ...\`).to.have.ordered.rows([...]).`,
      { table: target.text });
  }
  return keys.map((k) => k.name);
}

function decodeRaw(result: RawResult): ReadRows {
  const columns = result.columns ?? []; // a command without a result has none
  const rows = result.map((cells) => {
    const row: NormalRow = {};
    columns.forEach((column, i) => {
      const cell = cells[i];
      row[column.name] = normalizeText(cell == null ? null : cell.toString('utf8'), column);
    });
    return row;
  });
  return { rows, columns };
}

function decodeParsed(result: ParsedResult): ReadRows {
  const columns = result.columns ?? [];
  const rows = result.map((values) => {
    const row: NormalRow = {};
    columns.forEach((column, i) => {
      row[column.name] = normalizeParsed(Array.isArray(values) ? values[i] : values[column.name], column);
    });
    return row;
  });
  return { rows, columns };
}

/** A user's query: read as the server's text unless it already ran (or asked for decoded arrays). */
async function readQuery(target: Extract<Target, { kind: 'query' }>): Promise<ReadRows> {
  const query = target.query as QueryLike & { isRaw?: boolean | 'values' };
  if (!query.executed && !query.isRaw && typeof query.raw === 'function') query.raw();
  const raw = query.isRaw === true;
  const result = await guarded(target, async () => (await query) as unknown);
  return raw ? decodeRaw(result as RawResult) : decodeParsed(result as ParsedResult);
}

/**
 * The target's rows. With `ordered`, a table is read in primary-key order (no primary key:
 * ERR_PGDOCK_NO_PRIMARY_KEY); a query keeps its own order.
 */
export async function readRows(target: Target, options: { ordered?: boolean } = {}): Promise<ReadRows> {
  if (target.kind === 'query') return readQuery(target);
  if (target.kind === 'schema') throw new TypeError(`pgdock: ${target.label} has no rows; name a table in it.`);
  const order = options.ordered ? ` order by ${(await primaryKey(target)).map(quoteName).join(', ')}` : '';
  const result = await guarded(target, async () => (await target.sql.unsafe(`select * from ${target.text}${order}`).raw()) as unknown);
  return decodeRaw(result as RawResult);
}

/** How many rows the target has (a schema: how many tables). */
export async function countRows(target: Target): Promise<number> {
  if (target.kind === 'query') {
    const result = await guarded(target, async () => (await target.query) as unknown as unknown[]);
    return result.length;
  }
  if (target.kind === 'schema') {
    const { name, sql } = target;
    const [row] = await guarded(target, () => sql<{ found: boolean; n: number }[]>`
      select exists (select 1 from pg_namespace where nspname = ${name}) as found,
        (select count(*)::int from pg_class c join pg_namespace s on s.oid = c.relnamespace where s.nspname = ${name} and c.relkind in ('r', 'p', 'v', 'm', 'f')) as n`);
    if (!row?.found) throw new PgdockError(ErrorCodes.NO_SUCH_TABLE, `pgdock: there is no schema ${name}.`, 'It was dropped: assert on it before dropping it, or use .not.exist.', { schema: name });
    return row.n;
  }
  const [row] = await guarded(target, () => target.sql.unsafe(`select count(*)::bigint as n from ${target.text}`));
  return Number((row as unknown as { n: string }).n);
}

/** Whether the target exists: a table or schema in the catalog; a query returns at least one row (SQL's EXISTS). */
export async function targetExists(target: Target): Promise<boolean> {
  if (target.kind === 'query') return (await countRows(target)) > 0;
  const [row] = target.kind === 'table'
    ? await guarded(target, () => target.sql<{ found: boolean }[]>`select to_regclass(${target.text}) is not null as found`)
    : await guarded(target, () => target.sql<{ found: boolean }[]>`select exists (select 1 from pg_namespace where nspname = ${target.name}) as found`);
  return Boolean(row?.found);
}

/** A column as `.columns()` compares it: its name, `format_type` text and short type name. */
export interface ColumnInfo {
  name: string;
  type: string;
  udt: string;
}

/** The target's columns with their types (a table from the catalog, a query from its result). */
export async function readColumns(target: Target): Promise<ColumnInfo[]> {
  if (target.kind === 'table') {
    const oid = await tableOid(target);
    return [...await guarded(target, () => target.sql<ColumnInfo[]>`
      select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, t.typname as udt
      from pg_attribute a join pg_type t on t.oid = a.atttypid
      where a.attrelid = ${oid}::oid and a.attnum > 0 and not a.attisdropped order by a.attnum`)];
  }
  const { columns } = await readRows(target);
  // Built-in types have the same OIDs everywhere; the test's client names extension types too.
  const sql = assertionHost().sql();
  const names = sql ? await guarded(target, () => typeNames(sql, [...new Set(columns.map((c) => c.type))])) : new Map<number, { type: string; udt: string }>();
  return columns.map((c) => ({ name: c.name, ...(names.get(c.type) ?? { type: String(c.type), udt: String(c.type) }) }));
}

/** Type names for result columns' OIDs, read from pg_type. */
async function typeNames(sql: Sql, oids: number[]): Promise<Map<number, { type: string; udt: string }>> {
  const rows = await sql<{ oid: string; type: string; udt: string }[]>`
    select oid::text as oid, format_type(oid, null) as type, typname as udt from pg_type where oid = any (${oids.map(String)}::oid[])`;
  return new Map(rows.map((r) => [Number(r.oid), { type: r.type, udt: r.udt }]));
}
