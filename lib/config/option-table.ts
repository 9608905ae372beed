// Every option in one table: its environment variable, its parser and its default, one row each.
// resolveOptions (options.ts) layers the values, option-problems.ts checks names against it, and
// OPTION_ENV is read from it. The row order is the README's options table order, the order unknown
// names list the options in, and the order values are parsed and their problems listed (projectRoot
// first). Covered by spec/unit/config/option-table.spec.ts.
import { DEFAULT_MAX_JOBS } from './connection-sizing.js';
import { defaultJobs } from './default-jobs.js';
import {
  parseBoolean, parseCount, parseEnvMap, parseFileList, parseIsolation, parseLimitCount, parseLimitMs, parseMaxJobs, parseMillis, parseNamePattern, parsePassword,
  parsePath, parsePoolSize, parsePostgresArgs, parseProjectPath, parseProvider, parseRoleName, parseString, parseUrl,
  type Parser, type ProviderName, type WorkerEnvField,
} from './parsers.js';
import { defaultStateDir, findProjectRoot, isCi } from './project.js';
import { parseRoleAttributes, type WorkerRoleAttribute } from './role-attributes.js';
import { resolve } from 'node:path';

export const DEFAULT_IMAGE = 'postgres:18';
export const DEFAULT_WORKER_DATABASE_NAME = 'pgdock_w{worker}_{run}';

/** pgdock's own role on a server it starts (and the database it connects to). */
export const ADMIN_USER = 'postgres';

/**
 * What a default may depend on. Values resolve in table order, `projectRoot` first, so a default
 * sees those before it: `lockTimeout`'s follows `startupTimeout`.
 */
export interface DefaultContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly projectRoot: string;
  readonly startupTimeout: number;
}

/** One option: the variable that sets it, how a set value is read, and its value when none is. */
export interface OptionRow<T> {
  readonly env: string;
  readonly parse: Parser<T>;
  readonly defaultValue: (context: DefaultContext) => T;
}

function row<T>(env: string, parse: Parser<T>, defaultValue: (context: DefaultContext) => T): OptionRow<T> {
  return { env, parse, defaultValue };
}

/** An option that is unset unless given. */
function optional<T>(env: string, parse: Parser<T>): OptionRow<T | undefined> {
  return { env, parse, defaultValue: () => undefined };
}

/** Defaults are documented on `PgdockOptions` (options.ts) and in the README's options table. */
export const OPTION_TABLE = {
  image: row('PGDOCK_IMAGE', parseString, () => DEFAULT_IMAGE),
  provider: row('PGDOCK_PROVIDER', parseProvider, (): ProviderName => 'auto'),
  url: optional('PGDOCK_URL', parseUrl),
  reuse: row('PGDOCK_REUSE', parseBoolean, ({ env }) => !isCi(env)),
  stateDir: row('PGDOCK_STATE_DIR', parsePath, () => resolve(defaultStateDir())),
  postgresArgs: row('PGDOCK_POSTGRES_ARGS', parsePostgresArgs, (): string[] => []),
  startupTimeout: row('PGDOCK_STARTUP_TIMEOUT', parseMillis, () => 60_000),
  lockTimeout: row('PGDOCK_LOCK_TIMEOUT', parseMillis, ({ startupTimeout }) => startupTimeout + 30_000),
  projectRoot: row('PGDOCK_PROJECT_ROOT', parsePath, ({ cwd }) => findProjectRoot(cwd)),
  sourceSetup: row('PGDOCK_SOURCE_SETUP', parseFileList, (): string[] => []),
  destinationSetup: row('PGDOCK_DESTINATION_SETUP', parseFileList, (): string[] => []),
  pairSetupModule: optional('PGDOCK_PAIR_SETUP_MODULE', parseProjectPath),
  poolSize: row('PGDOCK_POOL_SIZE', parseCount, () => 8),
  keepOnFailure: row('PGDOCK_KEEP_ON_FAILURE', parseBoolean, () => false),
  keepFor: row('PGDOCK_KEEP_FOR', parseMillis, () => 24 * 3600_000),
  isolation: row('PGDOCK_ISOLATION', parseIsolation, (): 'schema' | 'database' => 'schema'),
  fixturesDir: row('PGDOCK_FIXTURES_DIR', parseProjectPath, ({ projectRoot }) => resolve(projectRoot, 'fixtures')),
  workerDatabase: row('PGDOCK_WORKER_DATABASE', parseBoolean, () => false),
  workerDatabaseName: row('PGDOCK_WORKER_DATABASE_NAME', parseNamePattern, () => DEFAULT_WORKER_DATABASE_NAME),
  workerUser: optional('PGDOCK_WORKER_USER', (raw, option) => parseRoleName(raw, option, ADMIN_USER)),
  workerPassword: optional('PGDOCK_WORKER_PASSWORD', parsePassword),
  workerRoleAttributes: row('PGDOCK_WORKER_ROLE_ATTRIBUTES', (raw, { source }) => parseRoleAttributes(raw, source), (): WorkerRoleAttribute[] => []),
  workerSetup: row('PGDOCK_WORKER_SETUP', parseFileList, (): string[] => []),
  workerSetupModule: optional('PGDOCK_WORKER_SETUP_MODULE', parseProjectPath),
  workerSetupInputs: row('PGDOCK_WORKER_SETUP_INPUTS', parseFileList, (): string[] => []),
  workerPoolSize: row('PGDOCK_WORKER_POOL_SIZE', parsePoolSize, () => 10),
  maxJobs: row('PGDOCK_MAX_JOBS', parseMaxJobs, () => Math.max(DEFAULT_MAX_JOBS, defaultJobs())),
  workerEnv: row('PGDOCK_WORKER_ENV', parseEnvMap, (): Record<string, WorkerEnvField> => ({})),
  updateSnapshots: row('PGDOCK_UPDATE_SNAPSHOTS', parseBoolean, () => false),
  metrics: row('PGDOCK_METRICS', parseBoolean, () => true),
  metricsFile: optional('PGDOCK_METRICS_FILE', parseProjectPath),
  budgetServerStartMs: optional('PGDOCK_BUDGET_SERVER_START_MS', parseLimitMs),
  budgetClaimP95Ms: optional('PGDOCK_BUDGET_CLAIM_P95_MS', parseLimitMs),
  budgetWaitMs: optional('PGDOCK_BUDGET_WAIT_MS', parseLimitMs),
  budgetLeakedPairs: optional('PGDOCK_BUDGET_LEAKED_PAIRS', parseLimitCount),
} as const;

export type OptionName = keyof typeof OPTION_TABLE;

/** Each option's value once resolved. */
export type OptionValues = { -readonly [K in OptionName]: ReturnType<(typeof OPTION_TABLE)[K]['defaultValue']> };

/** The table, each row typed by its option's name (what generic code over the names needs). */
export type OptionRows = { readonly [K in OptionName]: OptionRow<OptionValues[K]> };

/** Every option's name, in table order. */
export const OPTION_NAMES = Object.keys(OPTION_TABLE) as OptionName[];

/** The environment variable of each option. */
export function optionVariables(): Record<OptionName, string> {
  return Object.fromEntries(OPTION_NAMES.map((name) => [name, OPTION_TABLE[name].env])) as Record<OptionName, string>;
}
