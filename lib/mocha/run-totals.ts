// The Postgres side of a run's figures: pg_stat_database for the databases the run used, read in
// mocha's main process at its start (warm: in the background, off the workers' path) and at its end.
// Covered by spec/e2e/run-metrics.spec.ts.
import type { Sql } from 'postgres';
import { listMarked } from '../isolation/marks.js';
import { readCounters, totalsSince, type Counters, type PostgresTotals } from '../metrics/postgres-totals.js';
import { connectionUrl, type ServerInfo } from '../server/server-info.js';

let baseline: Promise<{ host: string; port: number; counters: Map<string, Counters> } | undefined> | undefined;

/** A warm run's start: the shared database's counters now, read on a connection of its own while workers start. */
export function readBaseline(server: ServerInfo): void {
  baseline = (async () => {
    const { default: postgres } = await import('postgres');
    const sql = postgres(connectionUrl(server), { max: 1, onnotice: () => {}, connect_timeout: 5, connection: { application_name: `pgdock run ${process.pid}` } });
    try {
      return { host: server.host, port: server.port, counters: await readCounters(sql, [server.database]) };
    } catch {
      return undefined;
    } finally {
      await sql.end({ timeout: 1 }).catch(() => {});
    }
  })();
}

/**
 * The run's totals at its end, on the sweep's connection: the shared database since the run's start
 * (read then) or since the server's (when this run started it); the databases the run made (worker
 * or test databases) from zero. Null when there is nothing honest to say (an external server whose
 * counters were not read at the start, and no database of the run's own).
 */
export async function runTotals(sql: Sql, server: ServerInfo, runId: string, runStartedAt: number): Promise<PostgresTotals | null> {
  const base = await baseline;
  const own = (await listMarked(sql, 'database')).filter(({ mark }) => mark.owner.run === runId).map(({ name }) => name);
  const [{ started }] = await sql<[{ started: Date }]>`select pg_postmaster_start_time() as started`;
  const startedInRun = started.getTime() >= runStartedAt - 1_000;
  const fromRunStart = base && base.host === server.host && base.port === server.port;
  const shared = fromRunStart || startedInRun ? [server.database] : [];
  if (shared.length + own.length === 0) return null;
  const now = await readCounters(sql, [...shared, ...own]);
  return totalsSince(fromRunStart ? 'run start' : startedInRun ? 'server start' : 'run start', fromRunStart ? base.counters : new Map(), now);
}
