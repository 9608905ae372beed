import * as fc from 'fast-check';
import type { SyncCounts, SyncError } from './reference-sync.js';

// The policy property's model (spec/e2e/pipelines/properties.spec.ts): one small `items` table, a
// schema change between the destination's shape and the source's, a policy, and what the reference
// sync must then do, computed in JS from the generated data alone.

/** How the source's `items` differs from the destination's (id int, qty int, label text). */
export type SchemaChange = 'none' | 'add' | 'drop' | 'retype';
export type Policy = { new_column: string; removed_column: string; type_change: string; bad_rows: string };
export type SyncMode = { sync_mode: 'full_refresh' | 'incremental' | 'cdc'; write_mode: 'append' | 'upsert'; parallelism: 1 | 2 };

/** A generated source row. `word`, when set, is what `qty` holds once it is text (retype): not an integer. */
export interface ItemRow { id: number; qty: number; label: string; extra: number; word: string | null }
export interface PolicyCase { rows: ItemRow[]; change: SchemaChange; policy: Policy; mode: SyncMode }

/** The destination rejects qty of 100 and more, labels starting with "bad", and (retype) qty text that is no integer. */
export const DESTINATION_DDL = (table: string) =>
  `create table ${table} (id int primary key, qty int constraint small_qty check (qty < 100), label text constraint good_label check (label not like 'bad%'))`;

export const SOURCE_COLUMNS: Record<SchemaChange, string> = {
  none: 'id int primary key, qty int, label text',
  add: 'id int primary key, qty int, label text, extra int',
  drop: 'id int primary key, qty int',
  retype: 'id int primary key, qty text, label text',
};

/** A row as the source holds it (and as `to_jsonb` gives it: the shape of a dead letter and of BAD_ROW's row). */
export function sourceRow(row: ItemRow, change: SchemaChange): Record<string, unknown> {
  switch (change) {
    case 'none': return { id: row.id, qty: row.qty, label: row.label };
    case 'add': return { id: row.id, qty: row.qty, label: row.label, extra: row.extra };
    case 'drop': return { id: row.id, qty: row.qty };
    case 'retype': return { id: row.id, qty: row.word ?? String(row.qty), label: row.label };
  }
}

export const rejected = (row: ItemRow, change: SchemaChange): boolean =>
  (change === 'retype' && row.word !== null) || row.qty >= 100 || (change !== 'drop' && row.label.startsWith('bad'));

/** The column a `fail` schema policy stops at, or undefined when the policy goes on. */
export function driftColumn({ change, policy }: PolicyCase): string | undefined {
  if (change === 'add' && policy.new_column === 'fail') return 'extra';
  if (change === 'drop' && policy.removed_column === 'fail') return 'label';
  if (change === 'retype' && policy.type_change === 'fail') return 'qty';
  return undefined;
}

export type Outcome =
  | { error: SyncError['code']; column?: string; rowIds?: number[]; columns: string[] }
  | { destination: Array<Record<string, unknown>>; deadLetters: Array<Record<string, unknown>>; counts: SyncCounts; columns: string[] };

/** What the sync must do with this case: a typed error, or exactly these rows, dead letters and counts. */
export function expectedOutcome(c: PolicyCase): Outcome {
  const { rows, change, policy } = c;
  const column = driftColumn(c);
  if (column) return { error: 'SCHEMA_DRIFT', column, columns: ['id', 'qty', 'label'] };
  const bad = rows.filter((r) => rejected(r, change)).sort((a, b) => a.id - b.id);
  const added = change === 'add' && policy.new_column === 'add';
  if (bad.length && policy.bad_rows === 'fail') {
    // One writer reads in id order, so BAD_ROW names the first rejected row; two writers race to the first of theirs.
    const rowIds = c.mode.parallelism === 1 || c.mode.sync_mode !== 'full_refresh' ? [bad[0]!.id] : bad.map((r) => r.id);
    // new_column: add alters the destination before any row is tried: full_refresh and cdc commit
    // that first (leader-first DDL), so the column stays; incremental alters in its transaction, which rolls back.
    return { error: 'BAD_ROW', rowIds, columns: ['id', 'qty', 'label', ...(added && c.mode.sync_mode !== 'incremental' ? ['extra'] : [])] };
  }
  const destination = rows.filter((r) => !rejected(r, change)).sort((a, b) => a.id - b.id)
    .map((r) => ({ id: r.id, qty: r.qty, label: change === 'drop' ? null : r.label, ...(added ? { extra: r.extra } : {}) }));
  const counts: SyncCounts = {
    written: destination.length,
    skipped: policy.bad_rows === 'skip' ? bad.length : 0,
    deadLettered: policy.bad_rows === 'dead_letter' ? bad.length : 0,
    columnsAdded: added ? 1 : 0,
    columnsIgnored: change === 'add' && policy.new_column === 'ignore' ? 1 : 0,
    columnsNullFilled: change === 'drop' ? 1 : 0,
    columnsCoerced: change === 'retype' ? 1 : 0,
  };
  const deadLetters = policy.bad_rows === 'dead_letter' ? bad.map((r) => sourceRow(r, change)) : [];
  return { destination, deadLetters, counts, columns: ['id', 'qty', 'label', ...(added ? ['extra'] : [])] };
}

const itemRow = fc.record({
  id: fc.integer({ min: 1, max: 60 }),
  qty: fc.integer({ min: -5, max: 120 }),
  label: fc.constantFrom('a', 'b', 'it\'s', 'bad', 'bad too', 'fine'),
  extra: fc.integer({ min: 0, max: 9 }),
  word: fc.option(fc.constantFrom('n/a', '', '1.5'), { freq: 6 }),
});

/** The case arbitrary; `narrow` fixes parts of it (the must-fail cases do). */
export function policyCases(narrow: Partial<{ change: fc.Arbitrary<SchemaChange>; bad_rows: fc.Arbitrary<string>; rows: fc.Arbitrary<ItemRow[]> }> = {}): fc.Arbitrary<PolicyCase> {
  return fc.record({
    rows: narrow.rows ?? fc.uniqueArray(itemRow, { selector: (r) => r.id, maxLength: 12 }),
    change: narrow.change ?? fc.constantFrom<SchemaChange>('none', 'add', 'drop', 'retype'),
    policy: fc.record({
      new_column: fc.constantFrom('fail', 'add', 'ignore'),
      removed_column: fc.constantFrom('null_fill', 'fail'),
      type_change: fc.constantFrom('coerce', 'fail'),
      bad_rows: narrow.bad_rows ?? fc.constantFrom('fail', 'skip', 'dead_letter'),
    }),
    mode: fc.record({
      sync_mode: fc.constantFrom<SyncMode['sync_mode']>('full_refresh', 'incremental', 'cdc'),
      write_mode: fc.constantFrom<SyncMode['write_mode']>('append', 'upsert'),
      parallelism: fc.constantFrom<SyncMode['parallelism']>(1, 2),
    }),
  });
}
