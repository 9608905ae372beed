import { ErrorCodes, PgdockError } from '../errors.js';
import type { MochaMode } from '../mocha/mocha-mode.js';
import type { ResolvedOptions } from '../config/options.js';

/**
 * In mocha's main process of a `--parallel` run, before any worker forks: a `workerDatabaseName`
 * without `{worker}` would give every worker the same database (the second would fail, and its
 * files never load), so the run stops here. Fixed names stay valid for serial runs.
 */
export function checkNamesForWorkers(options: ResolvedOptions, mode: MochaMode): void {
  if (mode.role !== 'parallel-main' || options.workerDatabaseName.includes('{worker}')) return;
  const name = options.workerDatabaseName;
  throw new PgdockError(
    ErrorCodes.INVALID_OPTION,
    `workerDatabaseName is '${name}', which has no {worker}: under --parallel each of the ${mode.jobs} workers needs a database of its own, so they cannot all use that name.`,
    `Add {worker} to it (e.g. '${name}_{worker}', in package.json#pgdock or PGDOCK_WORKER_DATABASE_NAME) and have the suite read PGDATABASE; or run without --parallel, where '${name}' works as it is.`,
    { option: 'workerDatabaseName', value: name, jobs: mode.jobs },
  );
}
