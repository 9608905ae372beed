// The COMMENT pgdock writes on every schema and database it makes: whose it is and what it is for.
// Sweeps drop only what carries a mark. Covered by spec/unit/isolation/marks.spec.ts.
import { hostname } from 'node:os';
import type { Sql } from 'postgres';
import { isRecordedProcessAlive, processStartTime } from '../coordination/process-liveness.js';
import { currentRun } from '../coordination/run-identity.js';
import type { SerializedError } from '../errors.js';
import { quoteIdentifier } from './names.js';
import { literal } from './sql.js';

/** Who a schema belongs to: the process that prepared or claimed it, and its run. */
export interface SchemaOwner {
  pid: number;
  pidStart?: string;
  host: string;
  run: string;
}

/** The JSON pgdock writes as each schema's COMMENT: how sweeps tell whose it is and what it is for. */
export interface SchemaMark {
  pgdock: 1;
  state: 'pool' | 'claimed' | 'kept';
  owner: SchemaOwner;
  key: string;
  pair: string;
  keptUntil?: string;
  /** A worker template whose build failed: the error, replayed to the other workers of that run. */
  error?: SerializedError;
  /** For test databases: the pair's schema names inside it (their slots are cluster-wide); for a schema pair kept under its test's title: its former names. */
  schemas?: string[];
}

/** What pgdock marks: a schema (of a pair) or a database (a test's, a worker's, a template). */
export type MarkedKind = 'schema' | 'database';

/** One marked object, and the oid of the role that owns it. */
export interface Marked {
  name: string;
  mark: SchemaMark;
  ownerOid: number;
}

/** A mark pgdock wrote (owner, state, key, pair); any other comment, however it starts, is not ours. */
export function isSchemaMark(value: unknown): value is SchemaMark {
  const v = value as Partial<SchemaMark> | null;
  const o = v?.owner as Partial<SchemaOwner> | undefined;
  return (
    !!v &&
    v.pgdock === 1 &&
    (v.state === 'pool' || v.state === 'claimed' || v.state === 'kept') &&
    typeof v.key === 'string' &&
    typeof v.pair === 'string' &&
    !!o &&
    Number.isInteger(o.pid) &&
    typeof o.host === 'string' &&
    typeof o.run === 'string' &&
    (o.pidStart === undefined || typeof o.pidStart === 'string') &&
    (v.keptUntil === undefined || typeof v.keptUntil === 'string')
  );
}

/** Parses a schema's or database's comment: pgdock's mark, or undefined (malformed marks are not ours). */
export function parseMark(text: string | null | undefined): SchemaMark | undefined {
  try {
    const mark: unknown = text ? JSON.parse(text) : undefined;
    return isSchemaMark(mark) ? mark : undefined;
  } catch {
    return undefined;
  }
}

/** This process as the owner of what it makes, in `runId` (by default the current run's). */
export function currentOwner(runId: string = currentRun().runId): SchemaOwner {
  const owner: SchemaOwner = { pid: process.pid, host: hostname(), run: runId };
  const pidStart = processStartTime(process.pid);
  if (pidStart) owner.pidStart = pidStart;
  return owner;
}

/** Whether a schema's (or database's) owner process still runs; another host's owner counts as alive. */
export function ownerAlive(owner: SchemaOwner): boolean {
  return isRecordedProcessAlive({ pid: owner.pid, pidStart: owner.pidStart, hostname: owner.host }, hostname());
}

/** The same mark, kept after a failure for `forMs` from now. */
export function keptMark(mark: SchemaMark, forMs: number): SchemaMark {
  return { ...mark, state: 'kept', keptUntil: new Date(Date.now() + forMs).toISOString() };
}

/** The one way pgdock writes a mark: `COMMENT ON SCHEMA|DATABASE <name> IS '<json>'`. */
export function markSql(kind: MarkedKind, name: string, mark: SchemaMark): string {
  return `comment on ${kind} ${quoteIdentifier(name)} is ${literal(JSON.stringify(mark))}`;
}

/** Where each kind's name, owner and comment live in the catalog. */
const CATALOG = {
  schema: `select nspname as name, nspowner::int as "ownerOid", obj_description(oid, 'pg_namespace') as mark from pg_namespace`,
  database: `select datname as name, datdba::int as "ownerOid", shobj_description(oid, 'pg_database') as mark from pg_database`,
} as const;

/** Every schema or database pgdock marked on this server (a comment that is not a mark is not ours). */
export async function listMarked(sql: Sql, kind: MarkedKind): Promise<Marked[]> {
  const rows = await sql.unsafe<Array<{ name: string; ownerOid: number; mark: string }>>(`select * from (${CATALOG[kind]}) o where mark like '{"pgdock":1,%'`);
  return rows.flatMap(({ name, ownerOid, mark }) => {
    const parsed = parseMark(mark);
    return parsed ? [{ name, mark: parsed, ownerOid }] : [];
  });
}

/** The schema or database named `name`: undefined when there is none, else its mark (undefined when it has none of pgdock's). */
export async function findMarked(sql: Sql, kind: MarkedKind, name: string): Promise<{ mark: SchemaMark | undefined } | undefined> {
  const [row] = await sql.unsafe<Array<{ mark: string | null }>>(`select mark from (${CATALOG[kind]}) o where name = $1`, [name]);
  return row && { mark: parseMark(row.mark) };
}
