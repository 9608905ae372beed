// How many connections a server pgdock starts for per-worker databases must allow (`maxJobs`).
// Covered by spec/unit/config/connection-sizing.spec.ts.

/** Connections pgdock itself may hold per worker, plus Postgres's reserved superuser slots and a margin. */
export const PGDOCK_CONNECTIONS_PER_WORKER = 4;
export const RESERVED_CONNECTIONS = 10;

/** The fewest workers a server pgdock starts is sized for (see `maxJobs`). */
export const DEFAULT_MAX_JOBS = 16;

/** Postgres's own default `max_connections`. */
const POSTGRES_DEFAULT_CONNECTIONS = 100;

/** Connections a run needs with `jobs` workers, each with the suite's pool. */
export function connectionsNeeded(jobs: number, poolSize: number): number {
  return jobs * (poolSize + PGDOCK_CONNECTIONS_PER_WORKER) + RESERVED_CONNECTIONS;
}

/** Whether the user's `postgresArgs` set `max_connections` themselves (pgdock then leaves it). */
export function setsMaxConnections(args: readonly string[]): boolean {
  return args.some((a) => /max_connections/.test(a));
}

/**
 * With per-worker databases, a server pgdock starts gets `max_connections` for `maxJobs` × pool
 * when Postgres's default (100) is too few, unless the user set it. Sized for the ceiling, not for
 * this run's `--jobs`: the setting is part of the server's key, and a run with other `--jobs` must
 * find the same server. Rounded up to 50.
 */
export function withConnectionBudget(args: string[], maxJobs: number, poolSize: number): string[] {
  if (setsMaxConnections(args)) return args;
  const needed = connectionsNeeded(maxJobs, poolSize);
  return needed <= POSTGRES_DEFAULT_CONNECTIONS ? args : [...args, '-c', `max_connections=${Math.ceil(needed / 50) * 50}`];
}
