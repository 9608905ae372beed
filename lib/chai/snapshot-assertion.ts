// Covered by spec/integration/chai/snapshots.spec.ts and spec/e2e/snapshots.spec.ts.
/// <reference types="chai" />
import { relative } from 'node:path';
import { ErrorCodes, PgdockError, describeValue } from '../errors.js';
import { deferAssertion } from './deferred.js';
import { assertionHost } from './host.js';
import { normalKey, plain, type NormalRow } from './normalize.js';
import { readRows } from './read-target.js';
import { describeDiff, diffRows, rowsMatch } from './row-diff.js';
import { snapshotFile } from './snapshot-file.js';
import { resolveTarget, type Target } from './targets.js';

/** `matchSnapshot(options)`: values that change every run, hidden before the rows are compared. */
export interface SnapshotOptions {
  /** Columns whose non-null values are stored as `[redacted]`, or a function returning each row as it should be stored. */
  redact?: string[] | ((row: NormalRow) => Record<string, unknown>);
}

export const REDACTED = '[redacted]';

function checkOptions(options: unknown): SnapshotOptions {
  if (options === undefined) return {};
  const redact = (options as SnapshotOptions | null)?.redact;
  const fine = typeof options === 'object' && options !== null && !Array.isArray(options) && Object.keys(options).every((k) => k === 'redact') &&
    (redact === undefined || typeof redact === 'function' || (Array.isArray(redact) && redact.every((c) => typeof c === 'string')));
  if (!fine) throw new TypeError(`pgdock: .matchSnapshot() takes { redact: ['column', ...] } or { redact: (row) => row }, got ${describeValue(options)}.`);
  return options as SnapshotOptions;
}

/** The target's rows in a stable order: a table by primary key (else sorted), a query in its own order with `.ordered` (else sorted). */
async function readStable(target: Target, ordered: boolean): Promise<{ rows: NormalRow[]; columns: string[]; sorted: boolean }> {
  if (target.kind === 'table') {
    try {
      const { rows, columns } = await readRows(target, { ordered: true });
      return { rows, columns: columns.map((c) => c.name), sorted: false };
    } catch (err) {
      if ((err as PgdockError).code !== ErrorCodes.NO_PRIMARY_KEY) throw err;
    }
  }
  const { rows, columns } = await readRows(target);
  return { rows, columns: columns.map((c) => c.name), sorted: !(ordered && target.kind === 'query') };
}

function redactRows(rows: NormalRow[], columns: string[], redact: SnapshotOptions['redact'], label: string): NormalRow[] {
  if (redact === undefined) return rows;
  if (typeof redact === 'function') {
    return rows.map((row) => {
      const out = plain(redact({ ...row }));
      if (out === null || typeof out !== 'object' || Array.isArray(out)) throw new TypeError(`pgdock: matchSnapshot's redact function must return a row object, got ${describeValue(out)}.`);
      return out;
    });
  }
  const unknown = redact.filter((c) => !columns.includes(c));
  if (unknown.length > 0) {
    throw new PgdockError(ErrorCodes.NO_SUCH_COLUMN, `pgdock: .matchSnapshot() redacts ${unknown.join(', ')}, which ${label} does not have (it has: ${columns.join(', ') || 'no columns'}).`,
      'Name the columns as the result has them (case-sensitive).', { columns: unknown.join(', ') });
  }
  return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, redact.includes(k) && v !== null ? REDACTED : v])));
}

/** `await expect(target).to.matchSnapshot(options?)`. */
export function snapshotAssertion(chai: Chai.ChaiStatic, utils: Chai.ChaiUtils) {
  return function (this: Chai.AssertionStatic, options?: unknown): Chai.AssertionStatic {
    const { redact } = checkOptions(options);
    if (utils.flag(this, 'negate')) throw new TypeError('pgdock: .not.matchSnapshot() is not supported: assert what the rows are, or are not, with .rows().');
    const target = resolveTarget(utils.flag(this, 'object'), 'matchSnapshot');
    const test = assertionHost().snapshotTest?.();
    if (!test) throw new TypeError('pgdock: .matchSnapshot() needs a running test under pgdock/register: the test\'s title names its snapshot.');
    test.taken += 1;
    const key = `${test.title} ${test.taken}`;
    const ordered = Boolean(utils.flag(this, 'ordered'));
    return deferAssertion(this, `matchSnapshot(${key})`, async () => {
      const read = await readStable(target, ordered);
      const rows = redactRows(read.rows, read.columns, redact, target.label);
      if (read.sorted) rows.sort((a, b) => (normalKey(a) < normalKey(b) ? -1 : normalKey(a) > normalKey(b) ? 1 : 0));
      const file = snapshotFile(test.file);
      const where = relative(process.cwd(), file.path);
      const stored = file.entries.get(key);
      if (!stored) {
        if (test.ci && !test.update) {
          throw new chai.AssertionError(`expected ${target.label} to match the snapshot "${key}", but ${where} has none, and CI is set, so none is written: ` +
            'run the test locally (it writes the snapshot) and commit the file, or set PGDOCK_UPDATE_SNAPSHOTS=1.');
        }
        file.change([[key, rows]]);
        file.written.push(key);
        return;
      }
      // Every column either side has: a redact function's new key must show, not pass unseen.
      const names = [...new Set([...read.columns, ...rows.flatMap((r) => Object.keys(r)), ...stored.flatMap((r) => Object.keys(r))])];
      const diff = diffRows(rows, stored, names, { ordered: true });
      if (rowsMatch(diff)) return;
      if (test.update) {
        file.change([[key, rows]]);
        file.updated.push(key);
        return;
      }
      this.assert(false, `expected ${target.label} to match the snapshot "${key}" in ${where}\n${describeDiff(diff)}\n` +
        'If the change is intended, rewrite it: PGDOCK_UPDATE_SNAPSHOTS=1 npm test', '', diff.shown.expected, diff.shown.actual, true);
    });
  };
}
