// One parser per kind of option value: each takes what a layer gave (a string from the environment,
// anything from package.json#pgdock or the arguments) and returns the value or throws
// ERR_PGDOCK_INVALID_OPTION naming the option, the value and its source.
// Covered by spec/unit/config/parsers.spec.ts and spec/unit/config/options.spec.ts.
import { resolve } from 'node:path';
import { ErrorCodes, PgdockError, describeValue } from '../errors.js';
import { invalidOption } from './invalid-option.js';

/** The option a value is for, where it came from, and the root relative paths resolve against. */
export interface RawOption {
  readonly name: string;
  readonly source: string;
  readonly projectRoot: string;
}

/** Turns one layer's raw value into the option's value, or throws `ERR_PGDOCK_INVALID_OPTION`. */
export type Parser<T> = (raw: unknown, option: RawOption) => T;

/** Which server to use (the `provider` option). Spelled out, so declarations show its name. */
export type ProviderName = 'auto' | 'docker' | 'embedded' | 'external';

export const PROVIDER_NAMES: readonly ProviderName[] = ['auto', 'docker', 'embedded', 'external'];

/** What a `workerEnv` variable may carry. */
export type WorkerEnvField = 'url' | 'host' | 'port' | 'user' | 'password' | 'database';

export const WORKER_ENV_FIELDS: readonly WorkerEnvField[] = ['url', 'host', 'port', 'user', 'password', 'database'];

/** A lower-case Postgres name that needs no quoting. */
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** A whole number from a number or a string of digits (`''` stays as given, and fails). */
function wholeNumber(raw: unknown): unknown {
  return typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
}

function numberIn(raw: unknown, min: number, max: number): number | undefined {
  const n = wholeNumber(raw);
  return typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

export const parseBoolean: Parser<boolean> = (raw, { name, source }) => {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'string') {
    const v = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
  }
  throw invalidOption(name, 'a boolean (true/false/1/0)', raw, source);
};

export const parseMillis: Parser<number> = (raw, { name, source }) => {
  const n = wholeNumber(raw);
  if (typeof n === 'number' && Number.isInteger(n) && n > 0) return n;
  throw invalidOption(name, 'a positive whole number of milliseconds', raw, source);
};

export const parseString: Parser<string> = (raw, { name, source }) => {
  if (typeof raw === 'string' && raw.trim() !== '') return raw.trim();
  throw invalidOption(name, 'a non-empty string', raw, source);
};

/** A path, absolute or relative to the working directory. */
export const parsePath: Parser<string> = (raw, option) => resolve(parseString(raw, option));

/** A path, absolute or relative to the project root. */
export const parseProjectPath: Parser<string> = (raw, option) => resolve(option.projectRoot, parseString(raw, option));

/** Paths relative to the project root: an array, or comma-separated in a string. */
export const parseFileList: Parser<string[]> = (raw, { name, source, projectRoot }) => {
  const list = typeof raw === 'string' ? raw.split(',').map((f) => f.trim()).filter(Boolean) : raw;
  if (Array.isArray(list) && list.every((f) => typeof f === 'string' && f !== '')) return list.map((f) => resolve(projectRoot, f));
  throw invalidOption(name, 'a list of file paths', raw, source);
};

/** Splits `-c wal_level=logical -c "search_path=a b"` the way a shell would, without running one. */
export function splitArgs(text: string, source = 'PGDOCK_POSTGRES_ARGS'): string[] {
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
  if (quote) throw invalidOption('postgresArgs', 'arguments with balanced quotes', text, source);
  if (started) out.push(current);
  return out;
}

/** `postgres` arguments: an array of strings, or one string split like a shell would. */
export const parsePostgresArgs: Parser<string[]> = (raw, { name, source }) => {
  if (typeof raw === 'string') return splitArgs(raw, source);
  if (Array.isArray(raw) && raw.every((a) => typeof a === 'string')) return [...raw];
  throw invalidOption(name, 'an array of strings', raw, source);
};

/** How many prepared pairs a worker keeps: 0 to 64. */
export const parseCount: Parser<number> = (raw, { name, source }) => {
  const n = numberIn(raw, 0, 64);
  if (n !== undefined) return n;
  throw invalidOption(name, 'a whole number from 0 to 64', raw, source);
};

/** A limit in milliseconds: a number from 0 up, fractions allowed (a claim takes microseconds). */
export const parseLimitMs: Parser<number> = (raw, { name, source }) => {
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof n === 'number' && Number.isFinite(n) && n >= 0) return n;
  throw invalidOption(name, 'a number of milliseconds from 0 up (fractions allowed)', raw, source);
};

/** A number of things from 0 up. */
export const parseLimitCount: Parser<number> = (raw, { name, source }) => {
  const n = numberIn(raw, 0, Number.MAX_SAFE_INTEGER);
  if (n !== undefined) return n;
  throw invalidOption(name, 'a whole number from 0 up', raw, source);
};

/** The suite's pool per worker: 1 to 1000 connections. */
export const parsePoolSize: Parser<number> = (raw, { name, source }) => {
  const n = numberIn(raw, 1, 1000);
  if (n !== undefined) return n;
  throw invalidOption(name, 'a whole number from 1 to 1000', raw, source);
};

/** The most workers a server is sized for: 1 to 512. */
export const parseMaxJobs: Parser<number> = (raw, { name, source }) => {
  const n = numberIn(raw, 1, 512);
  if (n !== undefined) return n;
  throw invalidOption(name, 'a whole number from 1 to 512', raw, source);
};

export const parseIsolation: Parser<'schema' | 'database'> = (raw, { name, source }) => {
  if (raw === 'schema' || raw === 'database') return raw;
  throw invalidOption(name, "'schema' or 'database'", raw, source);
};

/** One of {@link PROVIDER_NAMES}, in any case. */
export const parseProvider: Parser<ProviderName> = (raw, { name, source }) => {
  const v = typeof raw === 'string' ? raw.trim().toLowerCase() : raw;
  const known: readonly unknown[] = PROVIDER_NAMES;
  if (known.includes(v)) return v as ProviderName;
  throw invalidOption(name, `one of ${PROVIDER_NAMES.join(', ')}`, raw, source);
};

/** A `postgres://` URL; the error names the problem but never echoes the value (it holds a password). */
export const parseUrl: Parser<string> = (raw, { name, source }) => {
  const fail = (what: string): PgdockError =>
    new PgdockError(
      ErrorCodes.INVALID_OPTION,
      `Expected the \`${name}\` option to be a postgres:// URL, got ${what} (from ${source}).`,
      `Fix ${source}: postgres://user:password@host:5432/database.`,
      { option: name, source },
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
};

/** A role name the suite logs in as: a plain Postgres name, and not `admin` (pgdock's own role). */
export function parseRoleName(raw: unknown, option: RawOption, admin: string): string {
  const { name: optionName, source } = option;
  const name = parseString(raw, option);
  if (!IDENTIFIER.test(name)) throw invalidOption(optionName, 'a lower-case Postgres name (letters, digits, _; at most 63)', raw, source);
  if (name === admin) {
    throw new PgdockError(
      ErrorCodes.INVALID_OPTION,
      `The \`${optionName}\` option names ${admin}, pgdock's own admin role (from ${source}).`,
      `Leave ${optionName} unset to give the suite the admin role, or name the role the suite expects (it is created without superuser rights).`,
      { option: optionName, source },
    );
  }
  return name;
}

/** Any non-empty string; the error never echoes what was given (it may be a real password). */
export const parsePassword: Parser<string> = (raw, { name, source }) => {
  if (typeof raw === 'string' && raw !== '') return raw;
  throw new PgdockError(ErrorCodes.INVALID_OPTION, `Expected the \`${name}\` option to be a non-empty string (from ${source}).`, `Fix ${source}.`, { option: name, source });
};

/** `{worker}`, `{run}`, `{pid}` and lower-case name characters; checked with the longest values they can take. */
export const parseNamePattern: Parser<string> = (raw, option) => {
  const { name, source } = option;
  const pattern = parseString(raw, option);
  const unknown = /\{(?!worker\}|run\}|pid\})[^}]*\}/.exec(pattern);
  if (unknown) throw invalidOption(name, 'a name using only {worker}, {run} and {pid}', raw, source);
  const longest = pattern.replaceAll('{worker}', '9999').replaceAll('{run}', 'abcdef12').replaceAll('{pid}', '4194304');
  if (!IDENTIFIER.test(longest)) throw invalidOption(name, 'a lower-case Postgres name (letters, digits, _; at most 63 once filled in)', raw, source);
  return pattern;
};

/** `DB_NAME=database,DB_URL=url`, or an object of the same: variable names mapped to {@link WORKER_ENV_FIELDS}. */
export const parseEnvMap: Parser<Record<string, WorkerEnvField>> = (raw, { name: optionName, source }) => {
  const entries: Array<[string, unknown]> = typeof raw === 'string'
    ? raw.split(',').map((e) => e.trim()).filter(Boolean).map((e) => {
        const at = e.indexOf('=');
        return at < 0 ? [e, undefined] : [e.slice(0, at).trim(), e.slice(at + 1).trim()];
      })
    : typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? Object.entries(raw) : [['', undefined]];
  const fields: readonly unknown[] = WORKER_ENV_FIELDS;
  const map: Record<string, WorkerEnvField> = {};
  for (const [name, field] of entries) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || !fields.includes(field)) {
      throw invalidOption(optionName, `variables mapped to one of ${WORKER_ENV_FIELDS.join(', ')} (e.g. DB_NAME=database)`, raw, source);
    }
    map[name] = field as WorkerEnvField;
  }
  return map;
};
