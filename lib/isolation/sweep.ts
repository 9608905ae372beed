// What pgdock drops because nobody will use it again: marked schemas and databases of dead owners,
// expired kept ones, an ending run's, and the databases its suite made. Covered by
// spec/integration/isolation/schema-pool.spec.ts and schema-pool-model.spec.ts (sweepSchemas),
// spec/integration/isolation/sweep.spec.ts, and end to end by spec/faults/sweeps.spec.ts,
// spec/e2e/worker-database.spec.ts and spec/e2e/worker-role-attributes.spec.ts (suite databases).
import { hostname } from 'node:os';
import type { Sql } from 'postgres';
import type { ResolvedOptions } from '../config/options.js';
import { createDebug, type DebugLog } from '../debug.js';
import { redactSecrets } from '../errors.js';
import { isServerGone } from '../server/server-gone.js';
import { connectionUrl, type ServerInfo } from '../server/server-info.js';
import { listMarked, ownerAlive, type SchemaMark } from './marks.js';
import { clonePid, LIKE, pairNonce } from './names.js';
import { dropDatabase, dropSchemasSql, literal } from './sql.js';
import { isPgdockRole } from './worker-role.js';

const pairsLog = createDebug('pairs');
const workerLog = createDebug('worker-db');
// Logged under `pgdock:server`, as when the release did this sweep itself.
const runLog = createDebug('server');

/** Which marks the caller also dooms (an ending run's). */
export type Doom = (mark: SchemaMark) => boolean;

/**
 * Whether a marked schema or database is done with: kept past its expiry, or not a template and its
 * owner dead (or `extra` selects it). A malformed mark is not ours.
 */
export function isDoomed(mark: SchemaMark, now: number, extra: Doom): boolean {
  try {
    return mark.state === 'kept' ? Date.parse(mark.keptUntil ?? '') < now : mark.pair !== 'template' && (!ownerAlive(mark.owner) || extra(mark));
  } catch {
    return false;
  }
}

/** One drop of a sweep: what it drops (for the log) and the names it returns. */
interface Drop {
  what: string;
  names: string[];
  drop: () => Promise<void>;
}

/** Runs each drop; one that fails is logged (DEBUG) and left for a later sweep or run, and the others still go. Returns the dropped names. */
async function dropEach(log: DebugLog, drops: Drop[], later: 'sweep' | 'run'): Promise<string[]> {
  const dropped: string[] = [];
  for (const { what, names, drop } of drops) {
    try {
      await drop();
      dropped.push(...names);
    } catch (err) {
      log('could not drop %s (left for a later %s): %s', what, later, redactSecrets((err as Error).message));
    }
  }
  return dropped;
}

/** Seconds a sweep waits for a lock on a doomed schema before leaving it for a later sweep. */
const SWEEP_LOCK_TIMEOUT = '5s';

/**
 * One SQL text that drops doomed schemas whatever was done to them: sessions holding locks on
 * their tables (a process the dead owner left, an open transaction) are ended first; objects owned
 * by other roles go with CASCADE (the admin is a superuser on servers pgdock starts); a lock it
 * still cannot get fails the text after {@link SWEEP_LOCK_TIMEOUT} instead of hanging the run.
 */
function sweepSql(schemas: string[]): string {
  const names = `array[${schemas.map(literal).join(', ')}]::text[]`;
  return [
    `select set_config('lock_timeout', ${literal(SWEEP_LOCK_TIMEOUT)}, true)`,
    `select pg_terminate_backend(l.pid) from pg_locks l join pg_class c on c.oid = l.relation join pg_namespace n on n.oid = c.relnamespace
      where l.pid <> pg_backend_pid() and l.database = (select oid from pg_database where datname = current_database()) and n.nspname = any (${names})`,
    dropSchemasSql(schemas),
  ].join(';\n');
}

/**
 * Drops what nobody will use again: schemas of dead owners on this host (never a live run's),
 * kept failures past their expiry, and anything `extra` selects. Returns the dropped names. All in
 * one round trip; if that fails, pair by pair, and a pair that cannot go is logged (DEBUG) and left
 * for a later sweep. Never throws.
 */
export async function sweepSchemas(sql: Sql, extra: Doom = () => false): Promise<string[]> {
  let doomed: Array<{ name: string; mark: SchemaMark }>;
  try {
    const now = Date.now();
    doomed = (await listMarked(sql, 'schema')).filter(({ mark }) => isDoomed(mark, now, extra));
  } catch (err) {
    pairsLog('could not list schemas to sweep: %s', redactSecrets((err as Error).message));
    return [];
  }
  if (doomed.length === 0) return [];
  // A kept pair renamed to carry its test's title lists its former names: slots and publications go by either.
  // Only names pgdock gave (src_/dst_ and the same nonce): a mark is a comment its schema's owner may rewrite.
  const formerlyOf = (name: string, mark: SchemaMark): string[] =>
    Array.isArray(mark.schemas) ? mark.schemas.filter((n) => typeof n === 'string' && /^(src|dst)_[0-9a-z]{12}$/.test(n) && pairNonce(n) === pairNonce(name)) : [];
  const all = [...new Set(doomed.flatMap(({ name, mark }) => [name, ...formerlyOf(name, mark)]))];
  try {
    await sql.unsafe(sweepSql(all));
    pairsLog('swept %d schema(s)', doomed.length);
    return doomed.map((d) => d.name);
  } catch (err) {
    pairsLog('sweeping %d schema(s) at once failed (%s); one pair at a time', all.length, redactSecrets((err as Error).message));
  }
  const pairs = new Map<string, { names: string[]; formerly: string[] }>();
  for (const { name, mark } of doomed) {
    const pair = pairs.get(mark.pair) ?? { names: [], formerly: [] };
    pair.names.push(name);
    pair.formerly.push(...formerlyOf(name, mark));
    pairs.set(mark.pair, pair);
  }
  const drops = [...pairs.values()].map(({ names, formerly: was }) => ({
    what: `schema(s) ${names.join(', ')}`,
    names,
    drop: () => sql.unsafe(sweepSql([...new Set([...names, ...was])])).then(() => {}),
  }));
  const dropped = await dropEach(pairsLog, drops, 'sweep');
  if (dropped.length) pairsLog('swept %d schema(s)', dropped.length);
  return dropped;
}

/**
 * Drops test databases of dead owners, expired kept ones and whatever `extra` selects (templates
 * stay), and pool clones whose owner died before marking them, each whatever its suite did to it
 * ({@link dropDatabase}). A `CREATE DATABASE` outlives the client that sent it: at the end of a run
 * (`waitForClones`), clones still being made are waited for first (a few seconds at most); a
 * start-up sweep must not wait on live workers' clones. Never throws: a database that cannot be
 * dropped is logged (DEBUG) and left for a later sweep, and the others still go.
 */
export async function sweepDatabases(sql: Sql, extra: Doom = () => false, waitForClones = false): Promise<string[]> {
  const drops: Drop[] = [];
  const dropping = (name: string, schemas: string[] = []) => drops.push({ what: `database ${name}`, names: [name], drop: () => dropDatabase(sql, name, schemas) });
  try {
    for (let i = 0; waitForClones && i < 50; i++) {
      const [busy] = await sql<{ n: number }[]>`select count(*)::int as n from pg_stat_activity
        where pid <> pg_backend_pid() and query ilike ${LIKE.creatingPoolClone} and state = 'active'`;
      if (!busy?.n) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const now = Date.now();
    const marked = await listMarked(sql, 'database');
    for (const { name, mark } of marked) if (isDoomed(mark, now, extra)) dropping(name, Array.isArray(mark.schemas) ? mark.schemas : []);
    const markedNames = new Set(marked.map((m) => m.name));
    // Clones named after their maker's pid (pool clones; worker databases before their rename), not yet marked.
    const unmarked = await sql<{ name: string }[]>`select datname as name from pg_database where datname like ${LIKE.poolClone} or datname like ${LIKE.workerTemp}`;
    for (const { name } of unmarked) {
      const pid = clonePid(name);
      if (!markedNames.has(name) && pid && !ownerAlive({ pid, host: hostname(), run: '' })) dropping(name);
    }
  } catch (err) {
    pairsLog('could not list databases to sweep: %s', redactSecrets((err as Error).message));
    return [];
  }
  const dropped = await dropEach(pairsLog, drops, 'sweep');
  if (dropped.length) pairsLog('swept %d database(s)', dropped.length);
  return dropped;
}

/**
 * At the end of a run: drops every database the worker role owns whose name is not pgdock's
 * (`pgdock_…`; those are swept by their marks). Postgres does not record which session created a
 * database, so ownership is the suite's mark. The sweep waits for the last run: while a live run of
 * another process (another mocha invocation, another host) has worker databases owned by the same
 * role, they may be its suite's, and that run's end sweeps them. On an external server only a role
 * pgdock created is swept: a role that was there before may own databases that are not the suite's.
 * A killed run's databases go at the end of the next run. Never throws; returns the dropped names.
 */
export async function sweepSuiteDatabases(sql: Sql, role: string, runId: string, provider: ServerInfo['provider']): Promise<string[]> {
  let candidates: string[];
  try {
    const [owner] = await sql<{ oid: number; mark: string | null }[]>`
      select oid::int as oid, shobj_description(oid, 'pg_authid') as mark from pg_roles where rolname = ${role}`;
    if (!owner || (provider === 'external' && !isPgdockRole(owner.mark))) return [];
    // Listed before looking for other runs: a database made after this list is never taken.
    candidates = (await sql<{ name: string }[]>`
      select datname as name from pg_database where datdba = ${owner.oid} and datname not like ${LIKE.pgdock} order by 1`).map((r) => r.name);
    if (candidates.length === 0) return [];
    const live = (await listMarked(sql, 'database')).flatMap(({ name, mark, ownerOid }) =>
      ownerOid === owner.oid && name.startsWith('pgdock_') && mark.pair === 'worker' && mark.state !== 'kept' && mark.owner.run !== runId && ownerAlive(mark.owner) ? [name] : [],
    );
    if (live.length > 0) {
      workerLog('left %d database(s) of role %s for the end of the run that has %s', candidates.length, role, live.join(', '));
      return [];
    }
  } catch (err) {
    workerLog('could not list the databases of role %s: %s', role, redactSecrets((err as Error).message));
    return [];
  }
  const drops = candidates.map((name) => ({ what: `database ${name} made by the suite`, names: [name], drop: () => dropDatabase(sql, name) }));
  const dropped = await dropEach(workerLog, drops, 'run');
  if (dropped.length) workerLog('dropped %d database(s) the suite made as %s', dropped.length, role);
  return dropped;
}

/**
 * At the end of a run, before its lease on `server` goes: drops every schema pair and database the
 * run's workers left (they are done), except those kept on failure, and the databases its suite
 * made as the worker role ({@link sweepSuiteDatabases}). Never throws: a failed sweep is logged,
 * and what it left is swept later as a dead run's. `first` runs on the sweep's connection before
 * anything is dropped (the run's statistics are read there). Resolves with how many it dropped.
 */
export async function sweepRun(server: ServerInfo, runId: string, options: Pick<ResolvedOptions, 'workerDatabase' | 'workerUser'>, first?: (sql: Sql) => Promise<void>): Promise<number> {
  // A server this process saw go away holds nothing to drop; connecting would only wait.
  if (isServerGone()) return 0;
  const { default: postgres } = await import('postgres');
  const sql = postgres(connectionUrl(server), { max: 1, onnotice: () => {}, connect_timeout: 5, connection: { application_name: `pgdock sweep ${process.pid}` } });
  try {
    await first?.(sql).catch((err: Error) => runLog('reading the run\'s statistics failed: %s', redactSecrets(err.message)));
    const ours: Doom = (mark) => mark.owner.run === runId;
    const dropped = [...(await sweepSchemas(sql, ours)), ...(await sweepDatabases(sql, ours, true))];
    if (options.workerDatabase && options.workerUser) dropped.push(...(await sweepSuiteDatabases(sql, options.workerUser, runId, server.provider)));
    if (dropped.length) runLog('dropped %d schema(s) left by run %s', dropped.length, runId);
    return dropped.length;
  } catch (err) {
    runLog('could not sweep schemas of run %s: %s', runId, redactSecrets((err as Error).message));
    return 0;
  } finally {
    await sql.end({ timeout: 1 });
  }
}
