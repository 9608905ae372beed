/// <reference types="chai" />
import type { Sql } from 'postgres';
import { describeValue } from './errors.js';
import { describeDiff, diffRows, rowsMatch, type ColumnType, type Row } from './row-diff.js';

/** Where assertions on a table name get their connection and which names pgdock handed out. */
export interface AssertionHost {
  /** The current test's client, or undefined outside a test using pgdock. */
  sql(): Sql | undefined;
  /** Whether pgdock made this name (this.pg.table(), source, destination) in the current test. */
  isPgdockName(name: string): 'table' | 'schema' | undefined;
}

let host: AssertionHost = { sql: () => undefined, isPgdockName: () => undefined };

/** Called by pgdock/register: where table-name targets find their connection. */
export function setAssertionHost(next: AssertionHost): void {
  host = next;
}

interface Pending {
  label: string;
  awaited: boolean;
}

const pending = new Set<Pending>();

/** The pgdock assertions made since the last call that were never awaited (and forgets them). */
export function takeUnawaitedAssertions(): string[] {
  const labels = [...pending].filter((p) => !p.awaited).map((p) => p.label);
  pending.clear();
  return labels;
}

/** A postgres.js query (PendingQuery) as chai sees it. */
interface QueryLike extends PromiseLike<Row[] & { columns?: ColumnType[]; count?: number }> {
  strings: ReadonlyArray<string>;
}

type Target = { kind: 'table'; name: string; sql: Sql } | { kind: 'query'; query: QueryLike };

const IDENT = '(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)';
const QUALIFIED = new RegExp(`^${IDENT}(?:\\.${IDENT})?$`);

function isQuery(value: unknown): value is QueryLike {
  return !!value && typeof (value as QueryLike).then === 'function' && Array.isArray((value as QueryLike).strings);
}

function resolveTarget(value: unknown, assertion: string): Target {
  if (isQuery(value)) return { kind: 'query', query: value };
  if (typeof value === 'string' && QUALIFIED.test(value)) {
    const sql = host.sql();
    if (!sql) {
      throw new TypeError(`pgdock: .${assertion}() on the table ${JSON.stringify(value)} needs a test using pgdock/register (this.pg); outside one, pass a postgres.js query instead.`);
    }
    return { kind: 'table', name: value, sql };
  }
  throw new TypeError(
    `pgdock: .${assertion}() needs a table name (e.g. this.pg.table('users')) or a postgres.js query, got ${describeValue(value)}.`,
  );
}

async function fetchRows(target: Target): Promise<{ rows: Row[]; columns: ColumnType[]; label: string }> {
  if (target.kind === 'query') {
    const result = await target.query;
    return { rows: [...result], columns: result.columns ?? [], label: `the query ${JSON.stringify(target.query.strings.join('$?').trim().slice(0, 80))}` };
  }
  const result = (await target.sql.unsafe(`select * from ${target.name}`)) as unknown as Row[] & { columns: ColumnType[] };
  return { rows: [...result], columns: result.columns, label: `the table ${target.name}` };
}

async function fetchColumns(target: Target): Promise<{ columns: Array<{ name: string; type: string; udt: string }>; label: string }> {
  if (target.kind === 'table') {
    const rows = await target.sql<{ name: string; type: string; udt: string }[]>`
      select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, t.typname as udt
      from pg_attribute a join pg_type t on t.oid = a.atttypid
      where a.attrelid = ${target.name}::regclass and a.attnum > 0 and not a.attisdropped order by a.attnum`;
    return { columns: [...rows], label: `the table ${target.name}` };
  }
  const { columns, label } = await fetchRows(target);
  return { columns: columns.map((c) => ({ name: c.name, type: String(c.type), udt: String(c.type) })), label };
}

const TYPE_ALIASES: Record<string, string> = {
  int: 'integer', int4: 'integer', int8: 'bigint', int2: 'smallint', bool: 'boolean', float8: 'double precision',
  float4: 'real', varchar: 'character varying', timestamptz: 'timestamp with time zone', timestamp: 'timestamp without time zone',
  serial: 'integer', bigserial: 'bigint', decimal: 'numeric', char: 'character',
};

function sameType(expected: string, actual: { type: string; udt: string }): boolean {
  const e = expected.trim().toLowerCase();
  return [actual.type.toLowerCase(), actual.udt.toLowerCase()].some((a) => a === e || a === TYPE_ALIASES[e] || TYPE_ALIASES[a] === e || a.startsWith(`${TYPE_ALIASES[e] ?? e}(`));
}

/**
 * `chai.use(pgdockChai)`: assertions that run SQL. Every one is async: `await` it.
 * Targets: a table name (`this.pg.table('users')`, or `schema.table`) or a postgres.js query.
 */
export default function pgdockChai(chai: Chai.ChaiStatic, utils: Chai.ChaiUtils): void {
  const { Assertion } = chai;

  /** Runs `work` and makes the assertion awaitable; remembers it until awaited. */
  function deferred(assertion: Chai.AssertionStatic, label: string, work: () => Promise<void>): Chai.AssertionStatic {
    const record: Pending = { label, awaited: false };
    pending.add(record);
    const promise = work();
    promise.catch(() => {}); // reported through await, or as never awaited
    Object.defineProperty(assertion, 'then', {
      configurable: true,
      value: (onFulfilled?: (v: void) => unknown, onRejected?: (e: unknown) => unknown) => {
        record.awaited = true;
        return promise.then(onFulfilled, onRejected);
      },
    });
    return assertion;
  }

  const negated = (a: Chai.AssertionStatic): boolean => Boolean(utils.flag(a, 'negate'));

  Assertion.addMethod('rowCount', function (this: Chai.AssertionStatic, expected: unknown) {
    if (typeof expected !== 'number' || !Number.isInteger(expected) || expected < 0) {
      throw new TypeError(`pgdock: .rowCount() needs a whole number of rows, got ${describeValue(expected)}.`);
    }
    const target = resolveTarget(utils.flag(this, 'object'), 'rowCount');
    return deferred(this, `rowCount(${expected})`, async () => {
      let count: number;
      let label: string;
      if (target.kind === 'table') {
        const [row] = await target.sql.unsafe(`select count(*)::bigint as n from ${target.name}`);
        count = Number((row as Row).n);
        label = `the table ${target.name}`;
      } else {
        const fetched = await fetchRows(target);
        count = fetched.rows.length;
        label = fetched.label;
      }
      this.assert(count === expected, `expected ${label} to have ${expected} row(s) but it has ${count}`, `expected ${label} not to have ${expected} row(s)`, expected, count);
    });
  });

  Assertion.addMethod('rows', function (this: Chai.AssertionStatic, expected: unknown) {
    if (!Array.isArray(expected) || !expected.every((r) => r && typeof r === 'object' && !Array.isArray(r))) {
      throw new TypeError(`pgdock: .rows() needs an array of row objects, got ${describeValue(expected)}.`);
    }
    const target = resolveTarget(utils.flag(this, 'object'), 'rows');
    const ordered = Boolean(utils.flag(this, 'ordered')); // chai's own `.ordered`
    const subset = Boolean(utils.flag(this, 'contains'));
    const what = `${subset ? 'include ' : ''}${ordered ? 'ordered ' : ''}rows`;
    return deferred(this, `${what}(${expected.length})`, async () => {
      const { rows, columns, label } = await fetchRows(target);
      const diff = diffRows(rows, expected as Row[], columns, { ordered, subset });
      const ok = rowsMatch(diff);
      const detail = ok ? '' : `\n${describeDiff(diff)}`;
      this.assert(ok, `expected ${label} to ${subset ? 'include' : 'have'} ${ordered ? 'exactly these rows in order' : 'these rows'}${detail}`,
        `expected ${label} not to ${subset ? 'include' : 'have'} these rows, but it does`, expected, rows, true);
    });
  });

  Assertion.addMethod('columns', function (this: Chai.AssertionStatic, expected: unknown) {
    if (!expected || typeof expected !== 'object' || Array.isArray(expected) || !Object.values(expected).every((t) => typeof t === 'string')) {
      throw new TypeError(`pgdock: .columns() needs an object of column names to type names, e.g. { id: 'integer' }, got ${describeValue(expected)}.`);
    }
    const target = resolveTarget(utils.flag(this, 'object'), 'columns');
    const subset = Boolean(utils.flag(this, 'contains'));
    return deferred(this, 'columns()', async () => {
      const { columns, label } = await fetchColumns(target);
      const wanted = expected as Record<string, string>;
      const actual = Object.fromEntries(columns.map((c) => [c.name, c.type]));
      const problems: string[] = [];
      for (const [name, type] of Object.entries(wanted)) {
        const column = columns.find((c) => c.name === name);
        if (!column) problems.push(`missing column ${name} (${type})`);
        else if (!sameType(type, column)) problems.push(`column ${name} is ${column.type}, not ${type}`);
      }
      if (!subset) for (const c of columns) if (!(c.name in wanted)) problems.push(`unexpected column ${c.name} (${c.type})`);
      this.assert(problems.length === 0, `expected ${label} to have ${subset ? 'at least ' : ''}these columns:\n${problems.join('\n')}`,
        `expected ${label} not to have these columns, but it does`, wanted, actual, true);
    });
  });

  Assertion.overwriteProperty('exist', (_super: (this: Chai.AssertionStatic) => unknown) =>
    function (this: Chai.AssertionStatic) {
      const value = utils.flag(this, 'object') as unknown;
      const kind = typeof value === 'string' ? host.isPgdockName(value) : undefined;
      const sql = host.sql();
      if (!kind || !sql || typeof value !== 'string') return _super.call(this);
      return deferred(this, 'exist', async () => {
        const [row] = kind === 'table'
          ? await sql<{ found: boolean }[]>`select to_regclass(${value}) is not null as found`
          : await sql<{ found: boolean }[]>`select exists (select 1 from pg_namespace where nspname = ${value}) as found`;
        this.assert(Boolean(row?.found), `expected the ${kind} ${value} to exist`, `expected the ${kind} ${value} not to exist`, !negated(this), Boolean(row?.found));
      });
    },
  );

  Assertion.overwriteProperty('empty', (_super: (this: Chai.AssertionStatic) => unknown) =>
    function (this: Chai.AssertionStatic) {
      const value = utils.flag(this, 'object') as unknown;
      const pgdockTable = typeof value === 'string' && host.isPgdockName(value) === 'table';
      if (!pgdockTable && !isQuery(value)) return _super.call(this);
      const target = resolveTarget(value, 'empty');
      return deferred(this, 'empty', async () => {
        const { rows, label } = await fetchRows(target);
        this.assert(rows.length === 0, `expected ${label} to be empty but it has ${rows.length} row(s)`, `expected ${label} not to be empty`, 0, rows.length);
      });
    },
  );
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Chai {
    /** A pgdock assertion: it runs SQL, so it must be awaited. */
    type PgdockAssertion = Assertion & PromiseLike<void>;

    interface Assertion {
      /** The table or query has exactly `n` rows. Await it. */
      rowCount(n: number): PgdockAssertion;
      /** Exactly these rows, in any order (`.ordered` for order, `.include.rows` for a subset). Await it. */
      rows(rows: Array<Record<string, unknown>>): PgdockAssertion;
      /** These columns with these types (`.include.columns` allows others). Await it. */
      columns(columns: Record<string, string>): PgdockAssertion;
    }

    interface Ordered {
      /** Exactly these rows in this order. Await it. */
      rows(rows: Array<Record<string, unknown>>): PgdockAssertion;
    }

    interface Include {
      /** At least these rows. Await it. */
      rows(rows: Array<Record<string, unknown>>): PgdockAssertion;
      /** At least these columns with these types. Await it. */
      columns(columns: Record<string, string>): PgdockAssertion;
    }
  }
}
