// How many connections a run needs and what the server holds: checked before any worker opens its
// pool, and said in the options' words when the suite runs out. Covered by
// spec/unit/isolation/connection-budget.spec.ts and spec/e2e/worker-capacity.spec.ts.
import type { Sql } from 'postgres';
import { ErrorCodes, PgdockError } from '../errors.js';
import { OPTION_ENV, PGDOCK_CONNECTIONS_PER_WORKER, type ResolvedOptions } from '../config/options.js';
import type { ServerInfo } from '../server/server-info.js';

/**
 * In mocha's main process of a `--parallel` run, before any worker forks: a `workerDatabaseName`
 * without `{worker}` would give every worker the same database (the second would fail, and its
 * files never load), so the run stops here. Fixed names stay valid for serial runs: only the main
 * process of a `--parallel` run calls this, with its number of workers.
 */
export function checkNamesForWorkers(options: ResolvedOptions, jobs: number): void {
  if (options.workerDatabaseName.includes('{worker}')) return;
  const name = options.workerDatabaseName;
  throw new PgdockError(
    ErrorCodes.INVALID_OPTION,
    `workerDatabaseName is '${name}', which has no {worker}: under --parallel each of the ${jobs} workers needs a database of its own, so they cannot all use that name.`,
    `Add {worker} to it (e.g. '${name}_{worker}', in package.json#pgdock or PGDOCK_WORKER_DATABASE_NAME) and have the suite read PGDATABASE; or run without --parallel, where '${name}' works as it is.`,
    { option: 'workerDatabaseName', value: name, jobs },
  );
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
