// Covered by spec/integration/chai/false-passes.spec.ts.
import type { Sql } from 'postgres';
import { ErrorCodes, PgdockError } from '../errors.js';
import { quoteParts } from './relation-name.js';

/** The fields of a postgres.js PostgresError that pgdock reads. */
interface PostgresErrorLike extends Error {
  code: string;
  severity?: string;
}

function isPostgresError(err: unknown): err is PostgresErrorLike {
  return err instanceof Error && err.name === 'PostgresError' && typeof (err as PostgresErrorLike).code === 'string';
}

const UNDEFINED_TABLE = '42P01';
const UNDEFINED_COLUMN = '42703';
const INVALID_SCHEMA = '3F000';

function withCause<E extends Error>(error: E, cause: unknown): E {
  Object.defineProperty(error, 'cause', { value: cause, enumerable: false, configurable: true });
  return error;
}

/** The tables a schema has, or what is wrong with the name, for a missing table's hint. */
async function whereToLook(sql: Sql, parts: readonly string[]): Promise<string> {
  const name = parts.at(-1)!;
  if (parts.length === 1) {
    const [row] = await sql<{ path: string[] }[]>`select current_schemas(false) as path`;
    return `A bare name is looked up in the search_path (${(row?.path ?? []).join(', ') || 'empty'}); name the schema: this.pg.table('${name}') or 'schema.${name}'.`;
  }
  const schema = parts[0]!;
  const tables = await sql<{ name: string }[]>`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${schema} and c.relkind in ('r', 'p', 'v', 'm', 'f') order by c.relname limit 21`;
  if (tables.length === 0) {
    const [found] = await sql<{ found: boolean }[]>`select exists (select 1 from pg_namespace where nspname = ${schema}) as found`;
    return found?.found ? `The schema ${quoteParts([schema])} has no tables yet: create the table before asserting on it.` : `There is no schema ${quoteParts([schema])} either: check the name (this.pg.table(name) qualifies it for you).`;
  }
  const sameLetters = tables.find((t) => t.name.toLowerCase() === name.toLowerCase() && t.name !== name);
  if (sameLetters) return `Did you mean ${quoteParts([schema, sameLetters.name])}? Unquoted names fold to lower case; quote the name to keep its case.`;
  const listed = tables.slice(0, 20).map((t) => t.name).join(', ');
  return `The schema ${quoteParts([schema])} has: ${listed}${tables.length > 20 ? ', …' : ''}.`;
}

/** ERR_PGDOCK_NO_SUCH_TABLE for a table target that does not exist, with where to look. */
export async function missingTableError(sql: Sql, text: string, parts: readonly string[], cause?: unknown): Promise<PgdockError> {
  let hint: string;
  try {
    hint = await whereToLook(sql, parts);
  } catch {
    hint = 'Check the schema and table name.';
  }
  return withCause(new PgdockError(ErrorCodes.NO_SUCH_TABLE, `pgdock: there is no table ${text}.`, hint, { table: text }), cause);
}

/**
 * A driver error from an assertion's SQL as a PgdockError: a missing table or column named as such
 * (with where to look, for a table target), anything else as ERR_PGDOCK_QUERY_FAILED with Postgres's words.
 */
export async function assertionQueryError(err: unknown, label: string, table?: { sql: Sql; text: string; parts: readonly string[] }): Promise<unknown> {
  if (!isPostgresError(err)) return err;
  if (err.code === UNDEFINED_TABLE || err.code === INVALID_SCHEMA) {
    if (table) return missingTableError(table.sql, table.text, table.parts, err);
    return withCause(new PgdockError(ErrorCodes.NO_SUCH_TABLE, `pgdock: ${label} failed: ${err.message}.`,
      'Create the table before asserting on it, or check its schema (this.pg.table(name) qualifies a name for you).', { sqlState: err.code }), err);
  }
  if (err.code === UNDEFINED_COLUMN) {
    return withCause(new PgdockError(ErrorCodes.NO_SUCH_COLUMN, `pgdock: ${label} failed: ${err.message}.`,
      'Check the column names in the query against the table.', { sqlState: err.code }), err);
  }
  return withCause(new PgdockError(ErrorCodes.QUERY_FAILED, `pgdock: ${label} failed: ${err.message} (SQLSTATE ${err.code}).`,
    'The assertion could not read its target: fix the query, or the table it reads.', { sqlState: err.code }), err);
}
