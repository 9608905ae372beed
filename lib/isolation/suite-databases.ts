// Databases the suite itself made, with a worker role given CREATEDB or SUPERUSER (workerRoleAttributes).
import type { Sql } from 'postgres';
import { dropDatabase } from './database-lifecycle.js';
import { createDebug } from '../debug.js';
import { redactSecrets } from '../errors.js';
import { ownerAlive, parseMark } from './schema-pool.js';
import type { ServerInfo } from '../server/server-info.js';
import { isPgdockRole } from './worker-role.js';

const log = createDebug('worker-db');

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
      select datname as name from pg_database where datdba = ${owner.oid} and datname not like 'pgdock\\_%' order by 1`).map((r) => r.name);
    if (candidates.length === 0) return [];
    const ours = await sql<{ name: string; mark: string | null }[]>`
      select datname as name, shobj_description(oid, 'pg_database') as mark from pg_database where datdba = ${owner.oid} and datname like 'pgdock\\_%'`;
    const live = ours.flatMap(({ name, mark }) => {
      const parsed = parseMark(mark);
      return parsed && parsed.pair === 'worker' && parsed.state !== 'kept' && parsed.owner.run !== runId && ownerAlive(parsed.owner) ? [name] : [];
    });
    if (live.length > 0) {
      log('left %d database(s) of role %s for the end of the run that has %s', candidates.length, role, live.join(', '));
      return [];
    }
  } catch (err) {
    log('could not list the databases of role %s: %s', role, redactSecrets((err as Error).message));
    return [];
  }
  const dropped: string[] = [];
  for (const name of candidates) {
    try {
      await dropDatabase(sql, name);
      dropped.push(name);
    } catch (err) {
      log('could not drop database %s made by the suite (left for a later run): %s', name, redactSecrets((err as Error).message));
    }
  }
  if (dropped.length) log('dropped %d database(s) the suite made as %s', dropped.length, role);
  return dropped;
}
