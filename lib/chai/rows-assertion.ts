// Covered by spec/integration/chai/sql-assertions.spec.ts (`.rows`, `.ordered`, diffs).
/// <reference types="chai" />
import { ErrorCodes, PgdockError, describeValue } from '../errors.js';
import { deferAssertion } from './deferred.js';
import { normalizeExpected, type NormalRow } from './normalize.js';
import { readRows } from './read-target.js';
import { describeDiff, diffRows, rowsMatch } from './row-diff.js';
import { resolveTarget, type ResultColumn, type Target } from './targets.js';

function normalizeRows(expected: Array<Record<string, unknown>>, columns: ResultColumn[]): NormalRow[] {
  const byName = new Map(columns.map((c) => [c.name, c]));
  return expected.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, normalizeExpected(v, byName.get(k))])));
}

/** Expected rows may only name columns the result has: anything else is ERR_PGDOCK_NO_SUCH_COLUMN, never a diff against null. */
function checkColumnsExist(expected: Array<Record<string, unknown>>, columns: ResultColumn[], target: Target): void {
  const names = new Set(columns.map((c) => c.name));
  const unknown = [...new Set(expected.flatMap((row) => Object.keys(row)))].filter((k) => !names.has(k));
  if (unknown.length === 0) return;
  const kind = target.kind === 'query' ? 'its result' : 'it';
  throw new PgdockError(ErrorCodes.NO_SUCH_COLUMN,
    `pgdock: .rows() expects ${unknown.length === 1 ? 'a column' : 'columns'} ${unknown.join(', ')} that ${target.label} does not have (${kind} has: ${[...names].join(', ') || 'no columns'}).`,
    'Check the column names (they are case-sensitive, as Postgres stores them), or add the column before asserting on it.',
    { columns: unknown.join(', ') });
}

/** `.rows()`, `.ordered.rows()`, `.include.rows()`: rows compared after normalising by the actual column types. */
export function rowsAssertion(chai: Chai.ChaiStatic, utils: Chai.ChaiUtils) {
  return function (this: Chai.AssertionStatic, expected: unknown): Chai.AssertionStatic {
    if (!Array.isArray(expected) || !expected.every((r) => r && typeof r === 'object' && !Array.isArray(r))) {
      throw new TypeError(`pgdock: .rows() needs an array of row objects, got ${describeValue(expected)}.`);
    }
    const wanted = expected as Array<Record<string, unknown>>;
    const target = resolveTarget(utils.flag(this, 'object'), 'rows');
    const ordered = Boolean(utils.flag(this, 'ordered')); // chai's own `.ordered`
    const subset = Boolean(utils.flag(this, 'contains'));
    const negated = Boolean(utils.flag(this, 'negate'));
    const verb = subset ? 'include' : 'have';
    const what = `${subset ? 'include ' : ''}${ordered ? 'ordered ' : ''}rows`;
    const inOrder = target.kind === 'table' ? 'in primary-key order' : 'in order';
    return deferAssertion(this, `${what}(${wanted.length})`, async () => {
      const { rows, columns } = await readRows(target, { ordered });
      checkColumnsExist(wanted, columns, target);
      const names = columns.map((c) => c.name);
      const normal = normalizeRows(wanted, columns);
      const lacking = names.filter((n) => wanted.some((row) => !(n in row)));
      if (lacking.length > 0) {
        // Rows without every column can never match: `.not.rows` would pass whatever the table holds.
        throw new chai.AssertionError(
          `expected ${target.label} ${negated ? 'not ' : ''}to ${verb} these rows, but the expected rows give no value for ${lacking.join(', ')}: ` +
            `each expected row names every column (assert on a query that selects only the columns you check)`,
          { expected: normal, actual: rows, showDiff: false });
      }
      const diff = diffRows(rows, normal, names, { ordered, subset });
      const ok = rowsMatch(diff);
      this.assert(ok,
        `expected ${target.label} to ${verb} ${ordered ? `exactly these rows ${inOrder}` : 'these rows'}${ok ? '' : `\n${describeDiff(diff)}`}`,
        `expected ${target.label} not to ${verb} these rows${ordered ? ` ${inOrder}` : ''}, but it does`,
        diff.shown.expected, diff.shown.actual, !negated);
    });
  };
}
