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
import type { PgdockOptions } from './pgdock-options.js';
export type { PgdockOptions };

/** A provider that actually serves Postgres: what `auto` turns into. */
export type ConcreteProvider = Exclude<ProviderName, 'auto'>;


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
  updateSnapshots: boolean;
  metrics: boolean;
  metricsFile: string | undefined;
  budgetServerStartMs: number | undefined;
  budgetClaimP95Ms: number | undefined;
  budgetWaitMs: number | undefined;
  budgetLeakedPairs: number | undefined;
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

/** The environment variables resolveOptions reads. */
type Env = Record<string, string | undefined>;

/**
 * Resolves options in one place: defaults < `package.json#pgdock` < `PGDOCK_*` env < `input`.
 * Throws one `ERR_PGDOCK_INVALID_OPTION` naming every invalid option (its value and where it came
 * from), every unknown key and every unknown `PGDOCK_*` variable, with "did you mean" for near misses.
 * Reads only what it is given: the run's `--jobs` is no input (the server is sized for `maxJobs`).
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
