import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { createDebug } from '../debug.js';
import { ErrorCodes, PgdockError, describeValue, type SerializedError } from '../errors.js';
import { withFileLock } from '../coordination/file-lock.js';
import { ensureStateDir } from '../coordination/private-dir.js';
import { resolveOptions, type ResolvedOptions } from '../config/options.js';
import { currentRun } from '../coordination/run-identity.js';
import { slugify } from '../isolation/schema-names.js';
import { projectKey } from '../coordination/server-key.js';
import { readJson, writeJson } from '../coordination/state-file.js';

const log = createDebug('prepare');

/** What a prepared result depends on: when any of it changes, `fn` runs again. */
export interface PrepareInputs {
  /** Files or folders (whole contents, recursively), relative to the project root. */
  files?: string[];
  /** Globs such as `src/**\/*.ts` (`*`, `**`, `?`), relative to the project root. */
  globs?: string[];
  /** Plain strings, e.g. a version or a config value. */
  values?: string[];
}

export interface PrepareOnceOptions {
  inputs?: PrepareInputs;
  /** How long a waiter waits for the process running `fn`, in ms. @defaultValue 600000 */
  timeoutMs?: number;
}

interface PreparedRecord {
  version: 1;
  key: string;
  inputsHash: string;
  status: 'done' | 'failed';
  result?: unknown;
  error?: SerializedError;
  runId: string;
  at: string;
}

/** One entry a walk found: a file (hashed by content) or a link (hashed by its target text, never followed). */
interface WalkEntry {
  path: string;
  link?: string;
}

/** Every file and link below `path`, sorted; links are not followed, so loops and dangling links are entries too. */
function walk(path: string, out: WalkEntry[], followTop = false): void {
  const stat = followTop ? statOrLstat(path) : lstatSync(path);
  if (stat.isSymbolicLink()) out.push({ path, link: readlinkSync(path) });
  else if (stat.isDirectory()) for (const name of readdirSync(path).sort()) walk(join(path, name), out);
  else if (stat.isFile()) out.push({ path });
  else out.push({ path, link: `(special file)` });
}

/** A path the user named follows its link when the target exists; a dangling one is hashed as a link. */
function statOrLstat(path: string): Stats {
  try {
    return statSync(path);
  } catch {
    return lstatSync(path);
  }
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Files and links a glob matches under `root`, sorted. */
export function matchGlob(glob: string, root: string): WalkEntry[] {
  const parts = glob.split('/');
  const fixed = parts.slice(0, parts.findIndex((p) => /[*?]/.test(p)));
  const base = resolve(root, ...fixed);
  const entries: WalkEntry[] = [];
  try {
    walk(base, entries, true);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []; // nothing there yet: the glob matches nothing
    throw err;
  }
  const re = globToRegExp(glob);
  return entries.filter((e) => re.test(relative(root, e.path).split(sep).join('/')));
}

/** Hash of the inputs' contents (links by their target text); a missing file is an error (it is probably a typo). */
export function hashInputs(input: PrepareInputs | undefined, root: string): string {
  const inputs = checkInputs(input);
  const hash = createHash('sha256');
  const add = (label: string, entry: WalkEntry) => {
    hash.update(`${label}\0${relative(root, entry.path)}\0`);
    if (entry.link !== undefined) hash.update(`link\0${entry.link}`);
    else hash.update(readFileSync(entry.path));
    hash.update('\0');
  };
  for (const name of inputs.files ?? []) {
    const entries: WalkEntry[] = [];
    try {
      walk(resolve(root, name), entries, true);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      throw new PgdockError(ErrorCodes.INVALID_OPTION, `prepareOnce: the input file ${resolve(root, name)} does not exist.`, 'Fix the path in inputs.files (relative to the project root).', { file: name });
    }
    for (const entry of entries) add('file', entry);
  }
  for (const glob of inputs.globs ?? []) {
    hash.update(`glob\0${glob}\0`);
    for (const entry of matchGlob(glob, root)) add('match', entry);
  }
  for (const value of inputs.values ?? []) hash.update(`value\0${value}\0`);
  return hash.digest('hex').slice(0, 16);
}

const INPUT_KEYS = ['files', 'globs', 'values'] as const;

function badInputs(detail: string, value: unknown): PgdockError {
  return new PgdockError(
    ErrorCodes.INVALID_OPTION,
    `prepareOnce: expected the \`inputs\` option to be ${detail}, got ${describeValue(value)}.`,
    "Pass inputs as an object of string lists, e.g. `{ files: ['migrations'], globs: ['src/**/*.ts'], values: [version] }`.",
    { option: 'inputs' },
  );
}

/** `inputs` as the user gave it, checked: an object whose `files`, `globs` and `values` are lists of strings. */
function checkInputs(value: unknown): PrepareInputs {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badInputs('an object `{ files?, globs?, values? }`', value);
  for (const key of Object.keys(value)) {
    if (!(INPUT_KEYS as readonly string[]).includes(key)) throw badInputs(`an object with only ${INPUT_KEYS.map((k) => `\`${k}\``).join(', ')} (unknown key \`${key}\`)`, value);
  }
  for (const key of INPUT_KEYS) {
    const list = (value as Record<string, unknown>)[key];
    if (list !== undefined && (!Array.isArray(list) || !list.every((item) => typeof item === 'string' && item !== ''))) {
      throw badInputs(`an object whose \`${key}\` is a list of non-empty strings`, value);
    }
  }
  return value as PrepareInputs;
}

const memo = new Map<string, Promise<unknown>>();

/**
 * Runs `fn` once across every worker and every concurrent run, and caches its (JSON) result across
 * runs, keyed by `key` and a hash of `inputs`. Others wait for the one running it. A failure is
 * replayed to every caller of the same run; a later run tries again.
 */
export function prepareOnce<T>(key: string, fn: () => T | Promise<T>, options: PrepareOnceOptions = {}, resolved: ResolvedOptions = resolveOptions()): Promise<T> {
  if (typeof key !== 'string' || key.trim() === '') throw new TypeError(`pgdock: prepareOnce() needs a key, got ${describeValue(key)}`);
  if (typeof fn !== 'function') throw new TypeError(`pgdock: prepareOnce() needs a function to run, got ${describeValue(fn)}`);
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw badInputs('given inside an options object `{ inputs, timeoutMs }`', options);
  if (options.timeoutMs !== undefined && !(typeof options.timeoutMs === 'number' && options.timeoutMs > 0)) {
    throw new PgdockError(ErrorCodes.INVALID_OPTION, `prepareOnce: expected the \`timeoutMs\` option to be a positive number of ms, got ${describeValue(options.timeoutMs)}.`, 'Leave it out (10 minutes) or pass a number such as 120000.', { option: 'timeoutMs' });
  }
  const inputsHash = hashInputs(options.inputs, resolved.projectRoot);
  const memoKey = `${key}\0${inputsHash}`;
  let pending = memo.get(memoKey) as Promise<T> | undefined;
  if (!pending) {
    pending = run(key, fn, inputsHash, options, resolved);
    memo.set(memoKey, pending);
  }
  return pending;
}

async function run<T>(key: string, fn: () => T | Promise<T>, inputsHash: string, options: PrepareOnceOptions, resolved: ResolvedOptions): Promise<T> {
  const dir = join(resolved.stateDir, `${projectKey(resolved)}-prepare`, `${slugify(key, 40)}-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`);
  ensureStateDir(resolved.stateDir, resolved);
  ensureStateDir(dir, resolved);
  const file = join(dir, 'result.json');
  const runId = currentRun().runId;
  return withFileLock(
    file,
    async () => {
      const record = readJson<PreparedRecord>(file, (v) => (v as PreparedRecord)?.version === 1);
      if (record?.inputsHash === inputsHash && record.status === 'done') {
        log('%s: cached result', key);
        return record.result as T;
      }
      if (record?.inputsHash === inputsHash && record.status === 'failed' && record.runId === runId && record.error) {
        throw PgdockError.fromJSON(record.error);
      }
      log('%s: running', key);
      const base = { version: 1 as const, key, inputsHash, runId, at: new Date().toISOString() };
      let result: T;
      try {
        result = await fn();
      } catch (err) {
        const error = new PgdockError(
          ErrorCodes.PREPARE_FAILED,
          `prepareOnce("${key}") failed: ${(err as Error)?.message ?? String(err)}`,
          'Every worker of this run gets this same error; the next run tries again.',
          { key },
        );
        writeJson(file, { ...base, status: 'failed', error: error.toJSON() } satisfies PreparedRecord);
        throw error;
      }
      const json = JSON.stringify(result);
      if (json === undefined && result !== undefined) throw new TypeError(`pgdock: prepareOnce("${key}") must return JSON data, got ${describeValue(result)}`);
      writeJson(file, { ...base, status: 'done', result } satisfies PreparedRecord);
      return JSON.parse(json ?? 'null') as T;
    },
    { timeoutMs: options.timeoutMs ?? 600_000 },
  );
}
