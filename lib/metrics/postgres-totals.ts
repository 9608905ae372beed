// Covered by spec/e2e/run-metrics.spec.ts (the run's totals, read from a real server).
import type { Sql } from 'postgres';

/** The statistics the server kept for a run's databases (pg_stat_database), summed. */
export interface PostgresTotals {
  /**
   * `run start`: counters read when the run began and at its end; `server start`: the run started
   * the server, so since it started. Database-wide: other runs using the same database at the same
   * time are counted too.
   */
  since: 'run start' | 'server start';
  databases: string[];
  transactions: number;
  rollbacks: number;
  rowsInserted: number;
  rowsUpdated: number;
  rowsDeleted: number;
  rowsFetched: number;
  blocksRead: number;
  blocksHit: number;
  tempBytes: number;
  deadlocks: number;
}

export type Counters = Omit<PostgresTotals, 'since' | 'databases'>;
const FIELDS: Array<keyof Counters> = ['transactions', 'rollbacks', 'rowsInserted', 'rowsUpdated', 'rowsDeleted', 'rowsFetched', 'blocksRead', 'blocksHit', 'tempBytes', 'deadlocks'];

/** Each database's counters now, for the databases named (one round trip). */
export async function readCounters(sql: Sql, databases: string[]): Promise<Map<string, Counters>> {
  const rows = await sql<Array<{ datname: string } & Record<keyof Counters, string>>>`
    select datname, xact_commit as transactions, xact_rollback as rollbacks, tup_inserted as "rowsInserted",
           tup_updated as "rowsUpdated", tup_deleted as "rowsDeleted", tup_fetched as "rowsFetched",
           blks_read as "blocksRead", blks_hit as "blocksHit", temp_bytes as "tempBytes", deadlocks
      from pg_stat_database where datname = any(${databases})`;
  return new Map(rows.map((row) => [row.datname, Object.fromEntries(FIELDS.map((f) => [f, Number(row[f])])) as Counters]));
}

/** Sums `now` less `base` (a database missing from `base` counts from zero: it is new, or the server is). */
export function totalsSince(since: PostgresTotals['since'], base: Map<string, Counters>, now: Map<string, Counters>): PostgresTotals {
  const totals = { since, databases: [...now.keys()].sort(), ...Object.fromEntries(FIELDS.map((f) => [f, 0])) } as PostgresTotals;
  for (const [name, counters] of now) {
    const before = base.get(name);
    for (const f of FIELDS) totals[f] += Math.max(0, counters[f] - (before?.[f] ?? 0));
  }
  return totals;
}
