import { ErrorCodes, PgdockError } from '../errors.js';
import type { ResolvedOptions } from '../config/options.js';

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
