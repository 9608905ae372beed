import * as fc from 'fast-check';

// The checkpoint property's cases (spec/e2e/pipelines/properties.spec.ts): source rows arriving in
// groups, a sync run after each group that may be stopped at a generated point, and a last run.

export interface EventRow { id: number; seq: number; v: number }
export interface CheckpointCase {
  sync_mode: 'incremental' | 'cdc';
  /** Rows in arrival order; ids 1..n, `seq` (the incremental cursor) never decreasing, with ties. */
  rows: EventRow[];
  /** The ids of each arrival group: the first is in the source before the first run, each next one before the next run. */
  groups: number[][];
  batch_size: number;
  /** Per run (one after each group): stop at the n-th hook call (afterWrite or afterCommit), or run to the end. */
  stops: Array<number | null>;
}

/** Where each arrival group starts (indexes into the rows; the first group starts at 0). */
function groupStarts(count: number, cuts: number[]): number[] {
  return [0, ...new Set(cuts.map((c) => c % (count + 1)).filter((c) => c > 0))].sort((a, b) => a - b);
}

export function checkpointCases(modes: Array<CheckpointCase['sync_mode']> = ['incremental', 'cdc']): fc.Arbitrary<CheckpointCase> {
  return fc.record({
    sync_mode: fc.constantFrom(...modes),
    // seq steps of 0 make cursor ties, which a batch must not split.
    steps: fc.array(fc.record({ step: fc.nat(2), v: fc.integer({ min: -1000, max: 1000 }) }), { maxLength: 16 }),
    cuts: fc.array(fc.nat(16), { minLength: 1, maxLength: 3 }),
    batch_size: fc.integer({ min: 1, max: 4 }),
    stops: fc.array(fc.option(fc.integer({ min: 1, max: 6 }), { freq: 4 }), { minLength: 4, maxLength: 4 }),
  }).map(({ sync_mode, steps, cuts, batch_size, stops }) => {
    const starts = groupStarts(steps.length, cuts);
    let seq = 0;
    // A later group's rows come after every earlier cursor (an incremental sync cannot see a row
    // that arrives with a cursor it has passed: that is the mode's contract, not a lost row).
    const rows = steps.map(({ step, v }, i) => ({ id: i + 1, seq: (seq += i > 0 && starts.includes(i) ? step + 1 : step), v }));
    const groups = starts.map((start, g) => rows.slice(start, starts[g + 1] ?? rows.length).map((r) => r.id));
    return { sync_mode, rows, groups, batch_size, stops };
  });
}
