// Covered by spec/integration/chai/sql-assertions.spec.ts.
import type { Sql } from 'postgres';
import { describeValue } from '../errors.js';
import { assertionHost } from './host.js';
import { parseRelationName } from './relation-name.js';

/** One column of a postgres.js result: its name, type OID, and the parser postgres.js chose for it. */
export interface ResultColumn {
  name: string;
  type: number;
  parser?: ((text: string) => unknown) & { array?: boolean };
}

/** A postgres.js query (PendingQuery) as chai sees it. */
export interface QueryLike extends PromiseLike<Array<Record<string, unknown>> & { columns?: ResultColumn[]; count?: number }> {
  strings: ReadonlyArray<string>;
  /** postgres.js: the query ran (or is running) already. */
  executed?: boolean;
  /** postgres.js: rows as arrays of the server's text, undecoded. */
  raw?: () => QueryLike;
}

/** What an assertion checks: a table (by the name as written), a schema pgdock named, or a query. */
export type Target =
  | { kind: 'table'; text: string; parts: string[]; sql: Sql; label: string }
  | { kind: 'schema'; name: string; sql: Sql; label: string }
  | { kind: 'query'; query: QueryLike; label: string };

export function isQuery(value: unknown): value is QueryLike {
  return !!value && typeof (value as QueryLike).then === 'function' && Array.isArray((value as QueryLike).strings);
}

function queryTarget(query: QueryLike): Target {
  return { kind: 'query', query, label: `the query ${JSON.stringify(query.strings.join('$?').trim().slice(0, 80))}` };
}

function connection(value: string, assertion: string): Sql {
  const host = assertionHost();
  const sql = host.sqlFor?.(value) ?? host.sql();
  if (!sql) {
    throw new TypeError(`pgdock: .${assertion} on the table ${JSON.stringify(value)} needs a test using pgdock/register (this.pg); outside one, pass a postgres.js query instead.`);
  }
  return sql;
}

function tableTarget(text: string, parts: string[], assertion: string): Target {
  return { kind: 'table', text, parts, sql: connection(text, assertion), label: `the table ${text}` };
}

/**
 * The target of `.rowCount`, `.rows`, `.columns`: a postgres.js query, or a string naming a table
 * (`schema.table`, or a bare name found through the search_path). Anything else is a TypeError.
 */
export function resolveTarget(value: unknown, assertion: string): Target {
  if (isQuery(value)) return queryTarget(value);
  const parts = typeof value === 'string' ? parseRelationName(value) : undefined;
  if (typeof value === 'string' && parts && parts.length <= 2) return tableTarget(value, parts, `${assertion}()`);
  throw new TypeError(
    `pgdock: .${assertion}() needs a table name (e.g. this.pg.table('users')) or a postgres.js query, got ${describeValue(value)}.`,
  );
}

/**
 * The target of `.exist` / `.empty`, where chai has a meaning of its own for strings. A query, a
 * schema pgdock named in this test, or a `schema.table` string is checked in the database. A string
 * that could name a table but not say where (`users`, `"Users"`, `db.schema.table`) throws: pgdock
 * cannot tell a table from a plain string there, so it takes neither meaning (fail closed).
 * Anything else (`''`, `'two words'`, non-strings) is left to chai: undefined.
 */
export function resolveChaiTarget(value: unknown, assertion: 'exist' | 'empty'): Target | undefined {
  if (isQuery(value)) return queryTarget(value);
  if (typeof value !== 'string') return undefined;
  if (assertionHost().isPgdockName(value) === 'schema') {
    return { kind: 'schema', name: value, sql: connection(value, assertion), label: `the schema ${value}` };
  }
  const parts = parseRelationName(value);
  if (!parts) return undefined;
  if (parts.length === 2) return tableTarget(value, parts, assertion);
  throw new TypeError(
    `pgdock: .${assertion} on ${describeValue(value)} is ambiguous: it could be a table name or a plain string, so pgdock fails it rather than guess. ` +
      `For a table, name its schema: this.pg.table('${parts.at(-1)!.replace(/'/g, "\\'")}') or 'schema.table'. ` +
      `For a string, use chai's other words: .to.be.a('string'), .to.have.length.above(0), .not.to.equal('').`,
  );
}
