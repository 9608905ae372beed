import { hostname } from 'node:os';
import postgres, { type Sql } from 'postgres';
import { acquireServerFor } from '../server/acquire-server.js';
import { dropDatabase, privateDatabaseSql } from './database-lifecycle.js';
import { sweepDatabases } from './database-pool.js';
import { createDebug } from '../debug.js';
import { ErrorCodes, PgdockError, redactSecrets } from '../errors.js';
import { processStartTime } from '../coordination/leases.js';
import { OPTION_ENV, PGDOCK_CONNECTIONS_PER_WORKER, type ResolvedOptions } from '../config/options.js';
import { currentRun } from '../coordination/run-identity.js';
import { createNonce, quoteIdentifier } from './schema-names.js';
import { ownerAlive, type SchemaMark, type SchemaOwner } from './schema-pool.js';
import { connectionUrl, type ServerInfo } from '../server/server-info.js';
import { noteServer } from '../server/server-gone.js';
import { derivedPassword, ensureWorkerRole } from './worker-role.js';
import { ensureWorkerTemplate, hasWorkerSetup, loginEnv, markComment, parseMark, type DatabaseLogin } from './worker-template.js';

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

function admin(server: ServerInfo): Sql {
  return postgres(connectionUrl(server), { max: 1, onnotice: () => {}, connect_timeout: 10, connection: { application_name: 'pgdock' } });
}

/**
 * A server pgdock sizes holds `maxJobs` workers, whatever this run's `--jobs`, so that other
 * `--jobs` find the same server. A run with more is refused before any server starts: a server
 * sized for it would be a second one beside the first, which is for the user to decide.
 */
export function checkJobsCeiling(options: ResolvedOptions, jobs: number): void {
  const external = options.provider === 'external' || (options.provider === 'auto' && !!options.url);
  if (!options.sizesConnections || external || jobs <= options.maxJobs) return;
  const source = options.maxJobsSource === 'defaults' ? 'the default' : `from ${options.maxJobsSource}`;
  throw new PgdockError(
    ErrorCodes.TOO_MANY_JOBS,
    `This run has ${jobs} workers (--jobs ${jobs}), more than the ${options.maxJobs} the server is sized for (maxJobs, ${source}): its max_connections holds ${options.maxJobs} × (pool of ${options.workerPoolSize} + ${PGDOCK_CONNECTIONS_PER_WORKER} for pgdock).`,
    `Set ${OPTION_ENV.maxJobs}=${jobs} (or "maxJobs": ${jobs} in package.json#pgdock) to size the server for ${jobs} workers: pgdock then starts one server sized for it, which every --jobs up to ${jobs} reuses (\`npx pgdock down\` removes the old one). Or lower --jobs to ${options.maxJobs}.`,
    { jobs, maxJobs: options.maxJobs },
  );
}

/**
 * The server must let every worker open its pool: jobs × (the suite's pool + pgdock's own), within
 * `max_connections` less the slots reserved for superusers.
 */
export async function checkConnectionBudget(sql: Sql, options: ResolvedOptions, jobs: number, provider: ServerInfo['provider']): Promise<void> {
  const [row] = await sql<{ max: number; reserved: number }[]>`
    select current_setting('max_connections')::int as max, current_setting('superuser_reserved_connections')::int as reserved`;
  const usable = row!.max - row!.reserved;
  const needed = jobs * (options.workerPoolSize + PGDOCK_CONNECTIONS_PER_WORKER);
  if (usable >= needed) return;
  const raise = Math.ceil((needed + row!.reserved) / 50) * 50;
  throw new PgdockError(
    ErrorCodes.CONNECTION_BUDGET,
    `The server allows ${usable} connections (max_connections=${row!.max}, ${row!.reserved} reserved), but ${jobs} worker(s) × (pool of ${options.workerPoolSize} + ${PGDOCK_CONNECTIONS_PER_WORKER} for pgdock) need ${needed}.`,
    provider === 'external'
      ? `Lower --jobs, or set workerPoolSize (PGDOCK_WORKER_POOL_SIZE) to the suite's real pool size, or raise max_connections on that server to ${raise}.`
      : options.sizesConnections
        ? `Lower --jobs, or set workerPoolSize (PGDOCK_WORKER_POOL_SIZE) to the suite's real pool size, or set ${OPTION_ENV.maxJobs}=${jobs} (pgdock sizes the server for it).`
        : `Lower --jobs, or set workerPoolSize (PGDOCK_WORKER_POOL_SIZE) to the suite's real pool size, or remove the max_connections you set in postgresArgs (pgdock sizes it for maxJobs workers), or raise it to ${raise}.`,
    { jobs, poolSize: options.workerPoolSize, maxConnections: row!.max },
  );
}

/** Why a database of that name cannot be taken, or null when it was pgdock's and may go. */
async function nameTaken(sql: Sql, name: string): Promise<PgdockError | null> {
  const [row] = await sql<{ mark: string | null }[]>`select shobj_description(oid, 'pg_database') as mark from pg_database where datname = ${name}`;
  if (!row) return null;
  const mark = parseMark(row.mark);
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
  const server = await acquireServerFor(options, run);
  noteServer(server);
  const sql = admin(server);
  try {
    await sweepDatabases(sql);
    await checkConnectionBudget(sql, options, worker.jobs, server.provider);
    const user = options.workerUser ?? server.user;
    const password = options.workerUser ? (options.workerPassword ?? derivedPassword(server, user)) : server.password;
    if (options.workerUser) await ensureWorkerRole(sql, { name: user, password, attributes: options.workerRoleAttributes }, server.provider);
    const owner: SchemaOwner = { pid: process.pid, host: hostname(), run: run.runId };
    const pidStart = processStartTime(process.pid);
    if (pidStart) owner.pidStart = pidStart;
    const login = { host: server.host, port: server.port, user, password };
    const template = hasWorkerSetup(options) ? await ensureWorkerTemplate(sql, options, { ...login, database: server.database }, user, owner) : undefined;
    const name = workerDatabaseName(options.workerDatabaseName, worker.workerId, run.runId);
    const mark: SchemaMark = { pgdock: 1, state: 'claimed', owner, key: template?.key ?? 'empty', pair: 'worker' };
    const temp = `pgdock_wtmp_${process.pid}_${createNonce()}`;
    await sql.unsafe(`create database ${temp}${template ? ` template ${template.name}` : ''} owner ${quoteIdentifier(user)}`);
    // Marked and made private in one round trip: besides the admin, only its owner (the suite's role) may connect.
    await sql.unsafe(`comment on database ${temp} is ${markComment(mark)}; ${privateDatabaseSql(temp)}`);
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
  const until = new Date(Date.now() + keepForMs).toISOString();
  const sql = admin(db.server);
  try {
    await sql.unsafe(`comment on database ${quoteIdentifier(db.database)} is ${markComment({ ...db.mark, state: 'kept', keptUntil: until })}`);
  } finally {
    await sql.end({ timeout: 1 });
  }
  const how = db.user === db.server.user
    ? `psql "$(npx pgdock url | sed 's#/[^/]*$#/${db.database}#')"`
    : `psql -h ${db.server.host} -p ${db.server.port} -U ${db.user} ${db.database}`;
  return `pgdock kept this worker's database ${db.database} (a test failed) until ${until}. Inspect it with:\n  ${how}`;
}

/** Postgres refused a connection for lack of slots (SQLSTATE 53300). */
export function isOutOfConnections(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  return e?.code === '53300' || (typeof e?.message === 'string' && /too many clients|remaining connection slots are reserved|too many connections/.test(e.message));
}

/** What to print when the suite ran out of connections. */
export function outOfConnectionsHint(options: ResolvedOptions, jobs: number): string {
  const sized = options.sizesConnections ? `pgdock sized it for ${options.maxJobs} worker(s) (maxJobs)` : 'its max_connections is not pgdock\'s (postgresArgs, or an external server)';
  return `pgdock: the server ran out of connections (SQLSTATE 53300). This run has ${jobs} worker(s) with a pool of ${options.workerPoolSize} ` +
    `(workerPoolSize) each; ${sized}. Set workerPoolSize (PGDOCK_WORKER_POOL_SIZE) to the most connections one worker of this suite opens at once, or lower --jobs.`;
}
