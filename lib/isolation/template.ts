// The one way pgdock builds a template database (test databases' and worker databases'). Covered by
// spec/integration/isolation/template.spec.ts, and end to end by spec/e2e/worker-database.spec.ts
// ("builds the template once", "a broken setup") and spec/e2e/schema-pairs.spec.ts (isolation: 'database').
import { sample } from '../metrics/process-metrics.js';
import postgres, { type Sql } from 'postgres';
import type { DebugLog } from '../debug.js';
import { PgdockError } from '../errors.js';
import { connectionUrl, type ServerInfo } from '../server/server-info.js';
import { findMarked, markSql, type SchemaMark } from './marks.js';
import { buildingName, quoteIdentifier } from './names.js';
import { dropDatabase, privateDatabaseSql, whenUnused } from './sql.js';

/** The coordinates of one database, as someone logs in to it. */
export type DatabaseLogin = Pick<ServerInfo, 'host' | 'port' | 'user' | 'password' | 'database'>;

/** What a template is, and how it is built. */
export interface TemplateSpec {
  /** Its name (`pgdock_tpl_<key>`, `pgdock_wtpl_<key>`): one per server and setup key. */
  name: string;
  /** Its mark (`pair: 'template'`); a failed build's is the same with `pair: 'template-failed'` and the error. */
  mark: SchemaMark;
  /** Who builds it: the database being built is connected to as this login. */
  login: DatabaseLogin;
  /** The role that owns it (`CREATE DATABASE … OWNER`); by default the admin. */
  owner?: string;
  /** Fills the database being built; `db` is closed afterwards. */
  build: (db: Sql, login: DatabaseLogin) => Promise<void>;
  /**
   * Given, a failed build is left marked with the error this returns, and the run's other processes
   * get that error without building again (the run's sweep drops it). Without it the error is
   * thrown as it is and the next build starts over.
   */
  failure?: (err: unknown) => PgdockError;
  log: DebugLog;
}

/** Ends every other session on `database` (a migration tool may leave its own pool open). */
function endSessions(sql: Sql, database: string): Promise<unknown> {
  return sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${database} and pid <> pg_backend_pid()`;
}

/**
 * Makes sure the template exists: built once per server and name by whichever process gets the
 * advisory lock first; the others wait for it and find it built. It is built under a `_building`
 * name and renamed into place only once complete, so a half-built template is never cloned; then
 * marked and made private in one statement.
 */
export async function ensureTemplate(admin: Sql, spec: TemplateSpec): Promise<void> {
  const { name, mark, log } = spec;
  const conn = await admin.reserve();
  try {
    await conn`select pg_advisory_lock(hashtext(${name}))`;
    const [exists] = await conn`select 1 from pg_database where datname = ${name}`;
    if (exists) return;
    const building = buildingName(name);
    if (spec.failure) {
      const failed = (await findMarked(conn, 'database', building))?.mark;
      // Another process of this run failed to build it: the same error, without trying again.
      if (failed?.pair === 'template-failed' && failed.owner.run === mark.owner.run && failed.error) throw PgdockError.fromJSON(failed.error);
    }
    log('building template %s', name);
    const started = performance.now();
    await dropDatabase(conn, building);
    await conn.unsafe(`create database ${quoteIdentifier(building)}${spec.owner ? ` owner ${quoteIdentifier(spec.owner)}` : ''}`);
    const login: DatabaseLogin = { ...spec.login, database: building };
    const db = postgres(connectionUrl(login), { max: 1, onnotice: () => {} });
    try {
      await spec.build(db, login);
    } catch (err) {
      if (!spec.failure) throw err;
      // Left marked with the error for the run's other processes; swept with the run (or its dead owner).
      const error = spec.failure(err);
      await db.end({ timeout: 1 });
      await endSessions(conn, building).catch(() => {});
      await conn.unsafe(markSql('database', building, { ...mark, pair: 'template-failed', error: error.toJSON() })).catch(() => {});
      throw error;
    } finally {
      await db.end({ timeout: 1 });
    }
    // Nobody may be connected to a template that is cloned.
    await endSessions(conn, building);
    await whenUnused(conn, `alter database ${quoteIdentifier(building)} rename to ${quoteIdentifier(name)}`);
    sample('templateMs', performance.now() - started);
    await conn.unsafe(`${markSql('database', name, mark)}; ${privateDatabaseSql(name)}`);
    log('template %s built', name);
  } finally {
    await conn`select pg_advisory_unlock(hashtext(${name}))`.catch(() => {});
    conn.release();
  }
}
