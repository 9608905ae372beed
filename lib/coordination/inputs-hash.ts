// Covered by spec/unit/prepare/prepare-once.spec.ts (hashInputs, matchGlob) and, through templateKey,
// by spec/e2e/worker-database.spec.ts.
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { createRequire } from 'node:module';
import type Picomatch from 'picomatch';
import { ErrorCodes, PgdockError, describeValue } from '../errors.js';

/*
 * One hash over files, globs and values, the key processes agree on for a result built from them:
 * prepareOnce's records and the worker template's name. Here, below both, so that isolation (the
 * template) and prepare (prepareOnce, which names its records with isolation's slugify) do not import
 * each other. Its messages still speak of prepareOnce, whose `inputs` option it checks.
 */

/** What a prepared result depends on: when any of it changes, `fn` runs again. */
export interface PrepareInputs {
  /** Files or folders (whole contents, recursively), relative to the project root. */
  files?: string[];
  /** Globs such as `src/**\/*.ts` (`*`, `**`, `?`, `[…]`, `{a,b}`), relative to the project root. */
  globs?: string[];
  /** Plain strings, e.g. a version or a config value. */
  values?: string[];
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

/** picomatch, loaded on first use: only `prepareOnce` with `inputs` globs needs it. */
function picomatch(): typeof Picomatch {
  return createRequire(import.meta.url)('picomatch') as typeof Picomatch;
}

/** Files and links a glob matches under `root`, sorted. */

export function matchGlob(glob: string, root: string): WalkEntry[] {
  const base = resolve(root, picomatch().scan(glob).base); // the folder before the first pattern character
  const entries: WalkEntry[] = [];
  try {
    walk(base, entries, true);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []; // nothing there yet: the glob matches nothing
    throw err;
  }
  // picomatch: the matcher micromatch, fast-glob and chokidar use (`*`, `**`, `?`, `[ab]`, `{a,b}`);
  // dot files match like any other, as they did before.
  const matches = picomatch()(glob, { dot: true });
  return entries.filter((e) => matches(relative(root, e.path).split(sep).join('/')));
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

/** prepareOnce's `inputs` (or the options holding them) are not what it takes. */
export function badInputs(detail: string, value: unknown): PgdockError {
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
