import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { createDebug } from '../debug.js';
import { ErrorCodes, PgdockError, describeValue, type SerializedError } from '../errors.js';
import { withFileLock } from '../coordination/file-lock.js';
import { ensureStateDir } from '../coordination/private-dir.js';
import { resolveOptions, type ResolvedOptions } from '../config/options.js';
import { currentRun } from '../coordination/run-identity.js';
import { slugify } from '../isolation/names.js';
import { projectKey } from '../coordination/server-key.js';
import { readJson, writeJson } from '../coordination/state-file.js';
import { badInputs, hashInputs, type PrepareInputs } from '../coordination/inputs-hash.js';

export type { PrepareInputs };

const log = createDebug('prepare');

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
