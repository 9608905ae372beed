// Covered end to end by spec/e2e/worker-database.spec.ts, spec/e2e/worker-role-attributes.spec.ts and
// spec/faults/worker-isolation.spec.ts.
import { serverStarted } from '../metrics/process-metrics.js';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import postgres, { type Sql } from 'postgres';
import { acquireServerFor } from '../server/acquire-server.js';
import { createDebug } from '../debug.js';
import { ErrorCodes, PgdockError, redactSecrets } from '../errors.js';
import type { ResolvedOptions } from '../config/options.js';
import { currentRun } from '../coordination/run-identity.js';
import { connectionUrl, type ServerInfo } from '../server/server-info.js';
import { noteServer } from '../server/server-gone.js';
import { checkConnectionBudget, checkJobsCeiling } from './connection-budget.js';
import { currentOwner, findMarked, keptMark, markSql, ownerAlive, type SchemaMark, type SchemaOwner } from './marks.js';
import { quoteIdentifier, workerTempDatabaseName, workerTemplateName } from './names.js';
import { hasWorkerSetup, loadSetupFunction, setupFailed, setupSqlFiles, templateKey, type WorkerSetupFunction } from './setup.js';
import { dropDatabase, privateDatabaseSql } from './sql.js';
import { sweepDatabases } from './sweep.js';
import { ensureTemplate, type DatabaseLogin } from './template.js';
import { derivedPassword, ensureWorkerRole } from './worker-role.js';

const log = createDebug('worker-db');

/** One worker's database and how the suite logs in to it. */
export interface WorkerDatabase extends DatabaseLogin {
  /** The server it lives on (with pgdock's admin login). */
  server: ServerInfo;
  mark: SchemaMark;
}

/** Which worker of how many a database is for (what the Mocha adapter's `MochaMode` tells). */
export interface WorkerSlot {
  /** How many workers run at once (1 in a serial run). */
  jobs: number;
  /** The worker's id, for `{worker}` in `workerDatabaseName`. */
  workerId: string;
}

/** `{worker}`, `{run}`, `{pid}` filled in. */
export function workerDatabaseName(pattern: string, workerId: string, runId: string, pid = process.pid): string {
  return pattern.replaceAll('{worker}', workerId).replaceAll('{run}', runId.replace(/-/g, '').slice(0, 8)).replaceAll('{pid}', String(pid));
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

function admin(server: ServerInfo): Sql {
  return postgres(connectionUrl(server), { max: 1, onnotice: () => {}, connect_timeout: 10, connection: { application_name: 'pgdock' } });
}

/** Why a database of that name cannot be taken, or null when it was pgdock's and may go. */
async function nameTaken(sql: Sql, name: string): Promise<PgdockError | null> {
  const found = await findMarked(sql, 'database', name);
  if (!found) return null;
  const { mark } = found;
  const hint = 'Keep {worker} and {run} in workerDatabaseName (the default, pgdock_w{worker}_{run}, has both) so that workers and runs at once get databases of their own.';
  if (!mark) {
    return new PgdockError(ErrorCodes.DATABASE_IN_USE, `A database named ${name} exists and pgdock did not create it; pgdock never drops it.`, hint, { database: name });
  }
  if (mark.state === 'kept' && Date.parse(mark.keptUntil ?? '') > Date.now()) {
    return new PgdockError(ErrorCodes.DATABASE_IN_USE, `The database ${name} was kept after a failure until ${mark.keptUntil}.`, `Drop it (DROP DATABASE ${name}) once you are done with it. ${hint}`, { database: name });
  }
  if (mark.state !== 'kept' && ownerAlive(mark.owner)) {
    return new PgdockError(ErrorCodes.DATABASE_IN_USE, `The database ${name} belongs to a live process (pid ${mark.owner.pid}, another run or worker).`, hint, { database: name, pid: mark.owner.pid });
  }
  return null;
}

/** Renames the freshly cloned `temp` to `name`; a leftover of a dead owner under that name is dropped first. */
async function claimName(sql: Sql, temp: string, name: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await sql.unsafe(`alter database ${temp} rename to ${quoteIdentifier(name)}`);
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== '42P04' || attempt >= 2) throw err;
    }
    const taken = await nameTaken(sql, name);
    if (taken) {
      await dropDatabase(sql, temp);
      throw taken;
    }
    log('dropping %s, left by a process that is gone', name);
    await dropDatabase(sql, name);
  }
}

function toSetupError(err: unknown): PgdockError {
  if (err instanceof PgdockError) return err;
  return new PgdockError(
    ErrorCodes.SERVER_UNREACHABLE,
    `Creating this worker's database failed: ${redactSecrets((err as Error)?.message ?? String(err))}`,
    'Run again with DEBUG=pgdock:* for details; `npx pgdock status` shows the server.',
  );
}

/**
 * For this worker (or serial run): attaches to the shared server, sweeps databases of crashed
 * workers, checks the connection budget, makes the suite's role and the template (once per setup),
 * and clones this worker's database from it under a temporary name (`pgdock_wtmp_<pid>_…`, swept if
 * this process dies mid-way) before renaming it to its own.
 */
export async function createWorkerDatabase(options: ResolvedOptions, worker: WorkerSlot): Promise<WorkerDatabase> {
  checkJobsCeiling(options, worker.jobs);
  const run = currentRun();
  const server = await acquireServerFor(options, run, serverStarted);
  noteServer(server);
  const sql = admin(server);
  try {
    await sweepDatabases(sql);
    await checkConnectionBudget(sql, options, worker.jobs, server.provider);
    const user = options.workerUser ?? server.user;
    const password = options.workerUser ? (options.workerPassword ?? derivedPassword(server, user)) : server.password;
    if (options.workerUser) await ensureWorkerRole(sql, { name: user, password, attributes: options.workerRoleAttributes }, server.provider);
    const owner = currentOwner(run.runId);
    const login = { host: server.host, port: server.port, user, password };
    const key = hasWorkerSetup(options) ? templateKey(options, user) : undefined;
    const template = key && (await workerTemplate(sql, options, key, owner, { ...login, database: server.database }));
    const name = workerDatabaseName(options.workerDatabaseName, worker.workerId, run.runId);
    const mark: SchemaMark = { pgdock: 1, state: 'claimed', owner, key: key ?? 'empty', pair: 'worker' };
    const temp = workerTempDatabaseName(process.pid);
    await sql.unsafe(`create database ${temp}${template ? ` template ${template}` : ''} owner ${quoteIdentifier(user)}`);
    // Marked and made private in one round trip: besides the admin, only its owner (the suite's role) may connect.
    await sql.unsafe(`${markSql('database', temp, mark)}; ${privateDatabaseSql(temp)}`);
    await claimName(sql, temp, name);
    const db: WorkerDatabase = { ...login, database: name, server, mark };
    // On its own servers pgdock just set the role's password; an external server's role was left as it was.
    if (options.workerUser && server.provider === 'external') await proveLogin(db);
    log('worker %s (pid %d) has database %s', worker.workerId, process.pid, name);
    return db;
  } catch (err) {
    throw toSetupError(err);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** The template worker databases of this setup are cloned from ({@link ensureTemplate}), built as `login` (the suite's role) owning it. */
async function workerTemplate(sql: Sql, options: ResolvedOptions, key: string, owner: SchemaOwner, login: DatabaseLogin): Promise<string> {
  const name = workerTemplateName(key);
  await ensureTemplate(sql, {
    name,
    mark: { pgdock: 1, state: 'pool', owner, key, pair: 'template' },
    login,
    owner: login.user,
    build: (db, building) => runWorkerSetup(options, db, building),
    failure: (err) => (err instanceof PgdockError ? err : setupFailed(err, 'the template')),
    log,
  });
  return name;
}

/** The worker template's setup, run as its owner on the database being built: the SQL files, then the module. */
async function runWorkerSetup(options: ResolvedOptions, db: Sql, login: DatabaseLogin): Promise<void> {
  for (const file of setupSqlFiles(options.workerSetup)) {
    try {
      await db.unsafe(readFileSync(file, 'utf8'));
    } catch (err) {
      throw setupFailed(err, relative(options.projectRoot, file));
    }
  }
  if (!options.workerSetupModule) return;
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

/** Logs in as the suite will, so a role that cannot is reported here and not by the suite's first query. */
async function proveLogin(db: WorkerDatabase): Promise<void> {
  const sql = postgres(connectionUrl(db), { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    await sql`select 1`;
  } catch (err) {
    throw new PgdockError(
      ErrorCodes.SERVER_UNREACHABLE,
      `The suite's role ${db.user} cannot log in to its database ${db.database}: ${redactSecrets((err as Error).message)}`,
      db.server.provider === 'external'
        ? `That role already existed on the external server and pgdock leaves it as it is: set workerPassword to its password, or choose another workerUser.`
        : 'Run again with DEBUG=pgdock:* for details.',
      { user: db.user, database: db.database },
    );
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** Sets `DATABASE_URL`, `PG*` and the mapped names in `env` (the worker's `process.env`). */
export function exportWorkerEnv(db: DatabaseLogin, options: ResolvedOptions, env: Record<string, string | undefined> = process.env): void {
  Object.assign(env, loginEnv(db));
  const fields = { url: connectionUrl(db), host: db.host, port: String(db.port), user: db.user, password: db.password, database: db.database };
  for (const [name, field] of Object.entries(options.workerEnv)) env[name] = fields[field];
}

/** A failing test's worker database stays (marked with an expiry) and the way in is printed, password-free. */
export async function keepWorkerDatabase(db: WorkerDatabase, keepForMs: number): Promise<string> {
  const kept = keptMark(db.mark, keepForMs);
  const until = kept.keptUntil!;
  const sql = admin(db.server);
  try {
    await sql.unsafe(markSql('database', db.database, kept));
  } finally {
    await sql.end({ timeout: 1 });
  }
  const how = db.user === db.server.user
    ? `psql "$(npx pgdock url | sed 's#/[^/]*$#/${db.database}#')"`
    : `psql -h ${db.server.host} -p ${db.server.port} -U ${db.user} ${db.database}`;
  return `pgdock kept this worker's database ${db.database} (a test failed) until ${until}. Inspect it with:\n  ${how}`;
}
