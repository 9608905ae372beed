/**
 * What differs between actual and expected rows, both already normalised (normalize.ts), and how
 * to show it: a message naming missing and unexpected rows, and the two row lists for chai's
 * `expected`/`actual`, aligned so that a diff marks only the rows and values that really differ.
 */
import { normalKey, type Normal, type NormalRow } from './normalize.js';

/** What differs between actual and expected rows. */
export interface RowDiff {
  /** Expected rows not found in the actual rows. */
  missing: NormalRow[];
  /** Actual rows nobody expected (none with `subset`). */
  unexpected: NormalRow[];
  /** For the first missing row, the closest actual row's differing columns. */
  firstDifference?: { expected: NormalRow; actual: NormalRow; columns: string[] };
  /** With `ordered`, the first position whose row differs. */
  firstOutOfOrder?: number;
  /** The rows to show as chai's expected and actual: matched rows side by side, in expected order. */
  shown: { expected: NormalRow[]; actual: NormalRow[] };
}

/** A row's key: its values in `columns` order (absent values distinct from null). */
export function rowKey(row: NormalRow, columns: readonly string[]): string {
  return columns.map((c) => (c in row ? normalKey(row[c] ?? null) : '<absent>')).join('\u0001');
}

function differingColumns(expected: NormalRow, actual: NormalRow): string[] {
  const names = [...new Set([...Object.keys(actual), ...Object.keys(expected)])];
  return names.filter((n) => !(n in expected) || !(n in actual) || normalKey(expected[n] ?? null) !== normalKey(actual[n] ?? null));
}

/** Takes the leftover row closest to `row` (fewest differing columns) out of `leftovers`. */
function takeClosest(row: NormalRow, leftovers: NormalRow[]): NormalRow | undefined {
  let best = -1;
  let bestCount = Infinity;
  leftovers.forEach((candidate, i) => {
    const count = differingColumns(row, candidate).length;
    if (count < bestCount) [best, bestCount] = [i, count];
  });
  return best < 0 ? undefined : leftovers.splice(best, 1)[0];
}

/**
 * Compares rows as multisets (or as sequences with `ordered`). With `subset`, actual rows that were
 * not expected are allowed (with `ordered` too: the expected rows must come first, in order).
 */
export function diffRows(actual: NormalRow[], expected: NormalRow[], columns: readonly string[], options: { ordered?: boolean; subset?: boolean } = {}): RowDiff {
  const pool = new Map<string, number[]>();
  actual.forEach((row, i) => {
    const key = rowKey(row, columns);
    pool.set(key, [...(pool.get(key) ?? []), i]);
  });
  const matchedAt: Array<number | undefined> = expected.map((row) => pool.get(rowKey(row, columns))?.shift());
  const missing = expected.filter((_, i) => matchedAt[i] === undefined);
  const used = new Set(matchedAt.filter((i): i is number => i !== undefined));
  const leftovers = actual.filter((_, i) => !used.has(i));
  const diff: RowDiff = { missing, unexpected: options.subset ? [] : [...leftovers], shown: { expected, actual } };

  // Side by side: each expected row against its match, or against the closest leftover row.
  const unpaired = [...leftovers];
  const paired = expected.map((row, i) => (matchedAt[i] !== undefined ? actual[matchedAt[i]!]! : takeClosest(row, unpaired)));
  const firstMissing = matchedAt.findIndex((m) => m === undefined);
  const closest = firstMissing >= 0 ? paired[firstMissing] : undefined;
  if (closest) diff.firstDifference = { expected: expected[firstMissing]!, actual: closest, columns: differingColumns(expected[firstMissing]!, closest) };

  if (options.ordered) {
    if (!missing.length && !diff.unexpected.length) {
      const at = expected.findIndex((row, i) => rowKey(row, columns) !== rowKey(actual[i] ?? {}, columns));
      if (at >= 0) diff.firstOutOfOrder = at;
    }
    // Order is the point: show both in their own order (a subset against the rows it must lead).
    diff.shown = { expected, actual: options.subset ? actual.slice(0, expected.length) : actual };
  } else {
    const shownActual = paired.filter((row): row is NormalRow => row !== undefined);
    diff.shown = { expected, actual: options.subset ? shownActual : [...shownActual, ...unpaired] };
  }
  return diff;
}

/** True when nothing differs. */
export function rowsMatch(diff: RowDiff): boolean {
  return !diff.missing.length && !diff.unexpected.length && diff.firstOutOfOrder === undefined;
}

function show(row: NormalRow): string {
  return JSON.stringify(row);
}

function showValue(value: Normal | undefined): string {
  return value === undefined ? 'no value' : JSON.stringify(value);
}

/** The diff in words, for an assertion message. */
export function describeDiff(diff: RowDiff): string {
  const lines: string[] = [];
  if (diff.missing.length) lines.push(`missing rows (${diff.missing.length}):`, ...diff.missing.slice(0, 10).map((r) => `  - ${show(r)}`));
  if (diff.missing.length > 10) lines.push(`  … and ${diff.missing.length - 10} more`);
  if (diff.unexpected.length) lines.push(`unexpected rows (${diff.unexpected.length}):`, ...diff.unexpected.slice(0, 10).map((r) => `  + ${show(r)}`));
  if (diff.unexpected.length > 10) lines.push(`  … and ${diff.unexpected.length - 10} more`);
  if (diff.firstDifference) {
    const { expected, actual, columns } = diff.firstDifference;
    const first = columns[0];
    if (first) lines.push(`first differing column: ${first} (expected ${showValue(expected[first])}, actual ${showValue(actual[first])})`);
  }
  if (diff.firstOutOfOrder !== undefined) lines.push(`same rows, but out of order from position ${diff.firstOutOfOrder}`);
  return lines.join('\n');
}
