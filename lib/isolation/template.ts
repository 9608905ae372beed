import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import postgres, { type Sql } from 'postgres';
import { dropDatabase, privateDatabaseSql, whenUnused } from './database-lifecycle.js';
import { createDebug } from '../debug.js';
import { loadSetupFunction } from './setup-module.js';
import { ErrorCodes, PgdockError, redactSecrets } from '../errors.js';
import type { ResolvedOptions } from '../config/options.js';
import { hashInputs } from '../coordination/inputs-hash.js';
import { connectionUrl } from '../server/server-info.js';
import { literal, parseMark, type SchemaMark, type SchemaOwner } from './schema-pool.js';
import { quoteIdentifier } from './schema-names.js';

const log = createDebug('worker-db');

/** What `workerSetupModule`'s default export receives: the template database, connected as its owner. */
export interface WorkerSetupContext {
  /** A postgres.js client on the template database (closed by pgdock afterwards). */
  sql: Sql;
  /** Its URL, for migration tools that take one (holds the password: do not print it). */
  url: string;
  /** `DATABASE_URL` and `PG*` for the template database, for tools that read the environment. */
  env: Record<string, string>;
}

export type WorkerSetupFunction = (context: WorkerSetupContext) => unknown;

/** The coordinates of one database, as the suite logs in. */
export interface DatabaseLogin {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** `DATABASE_URL` and the `PG*` variables libpq, node-postgres and postgres.js read. */
export function loginEnv(login: DatabaseLogin): Record<string, string> {
  return {
    DATABASE_URL: connectionUrl(login),
    PGHOST: login.host,
    PGPORT: String(login.port),
    PGUSER: login.user,
    PGPASSWORD: login.password,
    PGDATABASE: login.database,
  };
}

/** Setup SQL files in the order they run: listed files as given, folders' `.sql` files by path. */
export function setupSqlFiles(entries: string[]): string[] {
  const files: string[] = [];
  const walk = (path: string, listed: boolean): void => {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      throw new PgdockError(ErrorCodes.INVALID_OPTION, `The worker setup file ${path} does not exist.`, 'Fix workerSetup (paths are relative to the project root).', { option: 'workerSetup', file: path });
    }
    if (stat.isDirectory()) for (const name of readdirSync(path).sort()) walk(join(path, name), false);
    else if (listed || path.endsWith('.sql')) files.push(path);
  };
  for (const entry of entries) walk(entry, true);
  return files;
}

/**
 * Hash of everything the template depends on: SQL files, the module, its inputs (whole folders), the
 * owner role and its attributes. Missing files are named here, in the words of these options.
 */
export function templateKey(options: ResolvedOptions, owner: string): string {
  const sqlFiles = setupSqlFiles(options.workerSetup);
  const others = [...(options.workerSetupModule ? [options.workerSetupModule] : []), ...options.workerSetupInputs];
  for (const path of others) {
    if (!existsSync(path)) throw new PgdockError(ErrorCodes.INVALID_OPTION, `The worker setup input ${path} does not exist.`, 'Fix workerSetupModule or workerSetupInputs (paths are relative to the project root).', { file: path });
  }
  // The setup runs as the owner, so its rights can change what it builds (an extension made or skipped).
  const rights = options.workerUser && options.workerRoleAttributes.length ? [`attributes:${options.workerRoleAttributes.join(',')}`] : [];
  return hashInputs({ files: [...sqlFiles, ...others], values: [`owner:${owner}`, ...rights] }, options.projectRoot);
}

export function hasWorkerSetup(options: ResolvedOptions): boolean {
  return options.workerSetup.length > 0 || options.workerSetupModule !== undefined;
}

function setupFailed(err: unknown, what: string): PgdockError {
  return new PgdockError(
    ErrorCodes.PREPARE_FAILED,
    `Building the worker databases' template failed in ${what}: ${redactSecrets((err as Error)?.message ?? String(err))}`,
    'Fix the setup (workerSetup / workerSetupModule); every worker of this run reports this same failure, the next run builds again.',
    { step: what },
  );
}

export { parseMark };

export function markComment(mark: SchemaMark): string {
  return literal(JSON.stringify(mark));
}

/**
 * The template worker databases are cloned from, built once per server and setup key by whichever
 * process gets the advisory lock first; the others wait for it and find it built. It is renamed into
 * place only once complete, so a half-built template is never cloned.
 */
export async function ensureWorkerTemplate(admin: Sql, options: ResolvedOptions, server: DatabaseLogin, owner: string, who: SchemaOwner): Promise<{ name: string; key: string }> {
  const key = templateKey(options, owner);
  const name = `pgdock_wtpl_${key}`;
  const conn = await admin.reserve();
  try {
    await conn`select pg_advisory_lock(hashtext(${name}))`;
    const [exists] = await conn`select 1 from pg_database where datname = ${name}`;
    if (exists) return { name, key };
    const building = `${name}_building`;
    const [left] = await conn<{ mark: string | null }[]>`select shobj_description(oid, 'pg_database') as mark from pg_database where datname = ${building}`;
    const failed = parseMark(left?.mark);
    // Another worker of this run failed to build it: the same error, without trying again.
    if (failed?.pair === 'template-failed' && failed.owner.run === who.run && failed.error) throw PgdockError.fromJSON(failed.error);
    log('building template %s', name);
    await dropDatabase(conn, building);
    await conn.unsafe(`create database ${building} owner ${quoteIdentifier(owner)}`);
    const login: DatabaseLogin = { ...server, database: building };
    const db = postgres(connectionUrl(login), { max: 1, onnotice: () => {} });
    try {
      for (const file of setupSqlFiles(options.workerSetup)) {
        try {
          await db.unsafe(readFileSync(file, 'utf8'));
        } catch (err) {
          throw setupFailed(err, relative(options.projectRoot, file));
        }
      }
      if (options.workerSetupModule) {
        const where = relative(options.projectRoot, options.workerSetupModule);
        let fn: WorkerSetupFunction;
        try {
          fn = await loadSetupFunction<WorkerSetupFunction>(options.workerSetupModule, 'workerSetupModule', '({ sql, url, env })');
        } catch (err) {
          throw setupFailed(err, where);
        }
        try {
          await fn({ sql: db, url: connectionUrl(login), env: loginEnv(login) });
        } catch (err) {
          throw setupFailed(err, where);
        }
      }
    } catch (err) {
      // Left marked with the error for the run's other workers; swept with the run (or its dead owner).
      const error = err instanceof PgdockError ? err : setupFailed(err, 'the template');
      await db.end({ timeout: 1 });
      await conn`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${building} and pid <> pg_backend_pid()`.catch(() => {});
      const mark: SchemaMark = { pgdock: 1, state: 'pool', owner: who, key, pair: 'template-failed', error: error.toJSON() };
      await conn.unsafe(`comment on database ${building} is ${markComment(mark)}`).catch(() => {});
      throw error;
    } finally {
      await db.end({ timeout: 1 });
    }
    // A migration tool may leave its own pool open: nobody may be connected to a template that is cloned.
    await conn`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${building} and pid <> pg_backend_pid()`;
    const mark: SchemaMark = { pgdock: 1, state: 'pool', owner: who, key, pair: 'template' };
    await whenUnused(conn, `alter database ${building} rename to ${name}`);
    await conn.unsafe(`comment on database ${name} is ${markComment(mark)}; ${privateDatabaseSql(name)}`);
    log('template %s built', name);
    return { name, key };
  } finally {
    await conn`select pg_advisory_unlock(hashtext(${name}))`.catch(() => {});
    conn.release();
  }
}
