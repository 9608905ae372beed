// Covered by spec/integration/chai/snapshots.spec.ts and spec/e2e/snapshots.spec.ts.
/**
 * A spec file's snapshots: `__snapshots__/<spec file>.snap.yaml` beside the spec (beside its
 * source, when the spec is compiled with a source map), one YAML map of key → rows. Read once per
 * process, written whole and atomically (a temporary file renamed into place) after every change,
 * so an interrupted run leaves the old file or the new one, never half of one. Only the process
 * running a spec file writes its snapshots: Mocha runs each file in one worker.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { yaml } from '../yaml.js';
import { ErrorCodes, PgdockError } from '../errors.js';
import type { NormalRow } from './normalize.js';

const HEADER = ' pgdock snapshots, written by matchSnapshot(): review and commit this file.\n PGDOCK_UPDATE_SNAPSHOTS=1 rewrites entries that differ and removes obsolete ones.';

/** The file a compiled spec came from, when its source map (`<file>.map`) names one that exists. */
function sourceOf(specFile: string): string {
  try {
    const map = JSON.parse(readFileSync(`${specFile}.map`, 'utf8')) as { sources?: unknown; sourceRoot?: unknown };
    const first = Array.isArray(map.sources) ? map.sources[0] : undefined;
    if (typeof first !== 'string') return specFile;
    const root = typeof map.sourceRoot === 'string' ? map.sourceRoot : '';
    const source = resolve(dirname(specFile), root, first);
    return existsSync(source) ? source : specFile;
  } catch {
    return specFile;
  }
}

/** Where a spec file's snapshots live. */
export function snapshotPath(specFile: string): string {
  const source = sourceOf(resolve(specFile));
  return join(dirname(source), '__snapshots__', `${basename(source)}.snap.yaml`);
}

function invalid(path: string, detail: string): PgdockError {
  return new PgdockError(ErrorCodes.SNAPSHOT_INVALID, `pgdock: the snapshot file ${path} ${detail}.`,
    'Fix it by hand (it is YAML: a map of test titles to lists of rows), or delete it and run the tests again to rewrite it.', { file: path });
}

/** One spec file's snapshots as this process knows them. */
export class SnapshotFile {
  readonly entries: Map<string, NormalRow[]>;
  /** Keys written or rewritten in this process, for the end-of-file report. */
  readonly written: string[] = [];
  readonly updated: string[] = [];

  constructor(readonly path: string) {
    this.entries = SnapshotFile.read(path);
  }

  private static read(path: string): Map<string, NormalRow[]> {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw invalid(path, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    let data: unknown;
    try {
      data = yaml().parse(text);
    } catch (err) {
      throw invalid(path, `is not valid YAML (${(err as Error).message.split('\n')[0]})`);
    }
    if (data === null || data === undefined) return new Map();
    if (typeof data !== 'object' || Array.isArray(data)) throw invalid(path, 'does not hold a map of snapshots');
    const entries = new Map<string, NormalRow[]>();
    for (const [key, rows] of Object.entries(data)) {
      if (!Array.isArray(rows) || !rows.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r))) {
        throw invalid(path, `holds something other than a list of rows under ${JSON.stringify(key)}`);
      }
      entries.set(key, rows as NormalRow[]);
    }
    return entries;
  }

  /** Sets (or with `undefined`, removes) entries and writes the file. */
  change(changes: Array<[string, NormalRow[] | undefined]>): void {
    for (const [key, rows] of changes) {
      if (rows) this.entries.set(key, rows);
      else this.entries.delete(key);
    }
    this.save();
  }

  private save(): void {
    if (this.entries.size === 0) {
      rmSync(this.path, { force: true });
      return;
    }
    const keys = [...this.entries.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    const data = Object.fromEntries(keys.map((k) => [k, this.entries.get(k)]));
    let body = yaml().stringify(data, { lineWidth: 0 });
    // yaml 2 writes a whitespace-only line of a multi-line string (' \n') as a block that reads back
    // without it: then every multi-line string is written double-quoted, which always reads back.
    if (!isDeepStrictEqual(yaml().parse(body), data)) body = yaml().stringify(data, { lineWidth: 0, blockQuote: false });
    mkdirSync(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      writeFileSync(temporary, `${HEADER.split('\n').map((l) => `#${l}`).join('\n')}\n${body}`);
      renameSync(temporary, this.path);
    } catch (err) {
      rmSync(temporary, { force: true });
      throw new PgdockError(ErrorCodes.SNAPSHOT_INVALID, `pgdock: the snapshot file ${this.path} could not be written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
        'Check that the folder beside the spec is writable by this user.', { file: this.path });
    }
  }
}

const files = new Map<string, SnapshotFile>();

/** The snapshots of a spec file, read on first use in this process. */
export function snapshotFile(specFile: string): SnapshotFile {
  const path = snapshotPath(specFile);
  let file = files.get(path);
  if (!file) {
    file = new SnapshotFile(path);
    files.set(path, file);
  }
  return file;
}

/** The snapshot files this process has opened. */
export function openSnapshotFiles(): SnapshotFile[] {
  return [...files.values()];
}
