import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { createDebug } from './debug.js';
import { ErrorCodes, PgdockError, describeValue, type SerializedError } from './errors.js';
import { withFileLock } from './file-lock.js';
import { resolveOptions, type ResolvedOptions } from './options.js';
import { currentRun } from './run-identity.js';
import { slugify } from './schema-names.js';
import { projectKey } from './server-key.js';
import { readJson, writeJson } from './state-file.js';

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

function walk(path: string, out: string[]): void {
  const stat = statSync(path);
  if (stat.isDirectory()) for (const name of readdirSync(path).sort()) walk(join(path, name), out);
  else if (stat.isFile()) out.push(path);
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

/** Files a glob matches under `root`, sorted. */
export function matchGlob(glob: string, root: string): string[] {
  const parts = glob.split('/');
  const fixed = parts.slice(0, parts.findIndex((p) => /[*?]/.test(p)));
  const base = resolve(root, ...fixed);
  const files: string[] = [];
  try {
    walk(base, files);
  } catch {
    return [];
  }
  const re = globToRegExp(glob);
  return files.filter((f) => re.test(relative(root, f).split(sep).join('/')));
}

/** Hash of the inputs' contents; a missing file is an error (it is probably a typo). */
export function hashInputs(inputs: PrepareInputs, root: string): string {
  const hash = createHash('sha256');
  const add = (label: string, file: string) => hash.update(`${label}\0${relative(root, file)}\0`).update(readFileSync(file)).update('\0');
  for (const entry of inputs.files ?? []) {
    const files: string[] = [];
    try {
      walk(resolve(root, entry), files);
    } catch {
      throw new PgdockError(ErrorCodes.INVALID_OPTION, `prepareOnce: the input file ${resolve(root, entry)} does not exist.`, 'Fix the path in inputs.files (relative to the project root).', { file: entry });
    }
    for (const f of files) add('file', f);
  }
  for (const glob of inputs.globs ?? []) {
    hash.update(`glob\0${glob}\0`);
    for (const f of matchGlob(glob, root)) add('match', f);
  }
  for (const value of inputs.values ?? []) hash.update(`value\0${value}\0`);
  return hash.digest('hex').slice(0, 16);
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
  const inputsHash = hashInputs(options.inputs ?? {}, resolved.projectRoot);
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
  mkdirSync(dir, { recursive: true, mode: 0o700 });
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
    { timeoutMs: options.timeoutMs ?? 600_000, holderFile: join(dir, 'holder') },
  );
}
