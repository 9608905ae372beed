// What a pair or a worker template is built from: the setup options' files and modules, read and
// keyed here, and the one loader for setup modules. Covered by spec/unit/isolation/setup.spec.ts.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Sql, TransactionSql } from 'postgres';
import type { ResolvedOptions } from '../config/options.js';
import { hashInputs } from '../coordination/inputs-hash.js';
import { ErrorCodes, PgdockError, redactSecrets } from '../errors.js';
import type { SchemaPairNames } from './names.js';

/** What every pair receives before a test sees it. */
export interface PairSetup {
  /** SQL files run with `search_path` set to the source schema. */
  sourceFiles: string[];
  /** SQL files run with `search_path` set to the destination schema. */
  destinationFiles: string[];
  /** A module whose default export `(sql, { source, destination })` runs inside the same transaction. */
  module?: string;
  /** Hash of all of the above (file contents included): pools of another key are never served. */
  key: string;
}

export type SetupFunction = (sql: TransactionSql, pair: SchemaPairNames) => Promise<void>;

/** What `workerSetupModule`'s default export receives: the template database, connected as its owner. */
export interface WorkerSetupContext {
  /** A postgres.js client on the template database (closed by pgdock afterwards). */
  sql: Sql;
  /** Its URL, for migration tools that take one (holds the password: do not print it). */
  url: string;
  /** `DATABASE_URL` and `PG*` for the template database, for tools that read the environment. */
  env: Record<string, string>;
}

export type WorkerSetupFunction = (context: WorkerSetupContext) => unknown;

/**
 * A setup module's default export, which must be a function (pair setup: `(sql, { source,
 * destination })`; worker template: `({ sql, url, env })`). One loader for every setup option.
 * `module` is a path or a `file:` URL; `signature` is what the error says the function takes.
 */
export async function loadSetupFunction<F>(module: string, label: string, signature: string): Promise<F> {
  const mod = (await import(module.startsWith('file:') ? module : pathToFileURL(module).href)) as { default?: unknown };
  if (typeof mod.default !== 'function') {
    throw new TypeError(`pgdock: the ${label} ${module.startsWith('file:') ? new URL(module).pathname : module} must export a default async function ${signature}`);
  }
  return mod.default as F;
}

/** One part of a pair's setup text: pgdock's own statements (no file) or one setup file's contents. */
interface Segment {
  start: number;
  text: string;
  file?: string;
  option?: 'sourceSetup' | 'destinationSetup';
}

/** The SQL that builds a pair, and where each setup file sits in it (to name the file an error points into). */
export interface SetupText {
  text: string;
  segments: Segment[];
}

/** Assembles a setup text from pgdock's statements and the setup files, joined by `;\n`. */
export function assembleSetupText(parts: Array<string | { file: string; option: 'sourceSetup' | 'destinationSetup' }>): SetupText {
  const segments: Segment[] = [];
  let offset = 0;
  for (const part of parts) {
    const segment: Segment = typeof part === 'string' ? { start: offset, text: part } : { start: offset, text: readFileSync(part.file, 'utf8'), file: part.file, option: part.option };
    segments.push(segment);
    offset += segment.text.length + 2;
  }
  return { text: segments.map((s) => s.text).join(';\n'), segments };
}

/** The `sourceSetup`/`destinationSetup` parts of a setup text, in order. */
export function setupFileParts(option: 'sourceSetup' | 'destinationSetup', files: string[]): Array<{ file: string; option: 'sourceSetup' | 'destinationSetup' }> {
  return files.map((file) => ({ file, option }));
}

/**
 * The build's own error, saying which setup file (and line) Postgres pointed at: the whole setup
 * runs as one text, so Postgres's `position` is an offset into it. Without a position (an error
 * found while running, not parsing) every setup file is a suspect, and all are named.
 */
export function explainSetupError(err: unknown, setup: SetupText): Error {
  const { message, code, position } = (err ?? {}) as { message?: string; code?: unknown; position?: unknown };
  const text = `${message || String(err)}${typeof code === 'string' && !(message ?? '').includes(code) ? ` (${code})` : ''}`;
  const files = setup.segments.filter((s) => s.file);
  if (files.length === 0) return err instanceof Error ? err : new Error(text);
  const at = Number(position) - 1;
  const hit = Number.isInteger(at) && at >= 0 ? setup.segments.find((s) => at >= s.start && at <= s.start + s.text.length) : undefined;
  const shown = (s: Segment) => {
    const near = relative(process.cwd(), s.file!);
    return near && !near.startsWith('..') ? near : s.file!;
  };
  if (hit?.file) {
    const line = setup.text.slice(hit.start, at).split('\n').length;
    return new Error(`the ${hit.option} file ${shown(hit)}:${line} failed: ${text}`);
  }
  const names = files.map((s) => `${s.option} ${shown(s)}`).join(', ');
  return new Error(`the pair setup (${names}) failed: ${text}`);
}

function contents(file: string, option: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new PgdockError(
      ErrorCodes.INVALID_OPTION,
      `The \`${option}\` file ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
      `Fix the path in the ${option} option; relative paths start at the project root.`,
      { option, file },
    );
  }
}

/** The pair setup of these options, keyed by a hash of every file's contents: a changed migration never serves stale schemas. */
export function resolvePairSetup(options: ResolvedOptions): PairSetup {
  const hash = createHash('sha256');
  for (const [option, files] of [['sourceSetup', options.sourceSetup], ['destinationSetup', options.destinationSetup]] as const) {
    hash.update(`${option}\0`);
    for (const f of files) hash.update(`${f}\0${contents(f, option)}\0`);
  }
  const setup: PairSetup = { sourceFiles: options.sourceSetup, destinationFiles: options.destinationSetup, key: '' };
  if (options.pairSetupModule) {
    hash.update(`module\0${options.pairSetupModule}\0${contents(options.pairSetupModule, 'pairSetupModule')}`);
    setup.module = pathToFileURL(options.pairSetupModule).href;
  }
  setup.key = hash.digest('hex').slice(0, 12);
  return setup;
}
export function setupSqlFiles(entries: string[]): string[] {
  const files: string[] = [];
  const walk = (path: string, listed: boolean): void => {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      throw new PgdockError(ErrorCodes.INVALID_OPTION, `The worker setup file ${path} does not exist.`, 'Fix workerSetup (paths are relative to the project root).', { option: 'workerSetup', file: path });
    }
    if (stat.isDirectory()) for (const name of readdirSync(path).sort()) walk(join(path, name), false);
    else if (listed || path.endsWith('.sql')) files.push(path);
  };
  for (const entry of entries) walk(entry, true);
  return files;
}

/**
 * Hash of everything the template depends on: SQL files, the module, its inputs (whole folders), the
 * owner role and its attributes. Missing files are named here, in the words of these options.
 */
export function templateKey(options: ResolvedOptions, owner: string): string {
  const sqlFiles = setupSqlFiles(options.workerSetup);
  const others = [...(options.workerSetupModule ? [options.workerSetupModule] : []), ...options.workerSetupInputs];
  for (const path of others) {
    if (!existsSync(path)) throw new PgdockError(ErrorCodes.INVALID_OPTION, `The worker setup input ${path} does not exist.`, 'Fix workerSetupModule or workerSetupInputs (paths are relative to the project root).', { file: path });
  }
  // The setup runs as the owner, so its rights can change what it builds (an extension made or skipped).
  const rights = options.workerUser && options.workerRoleAttributes.length ? [`attributes:${options.workerRoleAttributes.join(',')}`] : [];
  return hashInputs({ files: [...sqlFiles, ...others], values: [`owner:${owner}`, ...rights] }, options.projectRoot);
}

/** Whether worker databases are cloned from a template (a setup is given) or made empty. */
export function hasWorkerSetup(options: ResolvedOptions): boolean {
  return options.workerSetup.length > 0 || options.workerSetupModule !== undefined;
}

/** A worker template's build failed in `what` (a setup file, the module): said once, replayed to the run's other workers. */
export function setupFailed(err: unknown, what: string): PgdockError {
  return new PgdockError(
    ErrorCodes.PREPARE_FAILED,
    `Building the worker databases' template failed in ${what}: ${redactSecrets((err as Error)?.message ?? String(err))}`,
    'Fix the setup (workerSetup / workerSetupModule); every worker of this run reports this same failure, the next run builds again.',
    { step: what },
  );
}
