// Covered by spec/unit/metrics/run-metrics.spec.ts and end to end by spec/e2e/run-metrics.spec.ts.
import { emptyHistogram, mergeInto, percentileOf, type Histogram } from './histogram.js';
import type { PostgresTotals } from './postgres-totals.js';
import type { ServerStart, ThreadMetrics } from './process-metrics.js';

/** Durations summed up (ms, rounded to the microsecond): p50 and p95 within 5% (read from a log-scale histogram), max and total exact. */
export interface Distribution {
  count: number;
  p50: number;
  p95: number;
  max: number;
  total: number;
}

/** A wait summed over the run's test processes, and the longest any one of them waited (ms). */
export interface WaitTotal {
  total: number;
  maxPerProcess: number;
}

/**
 * What a run did, as the summary line says it and `metricsFile` holds it (docs/metrics.md is
 * this shape, field by field). Version 1.
 */
export interface RunMetrics {
  version: 1;
  runId: string;
  endedAt: string;
  /** From mocha's main process starting the run to the merge, ms. */
  durationMs: number;
  /** Test processes that recorded (a `--parallel` run's workers, or a serial run's one process). */
  testProcesses: number;
  /** How the run got its server: the first cold start if any process started one, else a warm attach. Null when no test used one. */
  server: ServerStart | null;
  /** `longest`: the most any one test process waited for pgdock in all, ms. */
  waits: { server: WaitTotal; pairs: WaitTotal; databases: WaitTotal; longest: number };
  /** `unused`: built ahead and dropped unclaimed by pgdock itself (at a pool's close); `leaked`: claimed by a test that never ended (its process died), test databases included. */
  pairs: { made: number; claimed: number; kept: number; dropped: number; unused: number; leaked: number };
  /** Worker databases, or test databases in `isolation: 'database'`. */
  databases: { made: number; claimed: number; kept: number; dropped: number };
  /** Schemas and databases of the run that the end-of-run sweep dropped (pairs built ahead and never used, what dead workers held). */
  swept: number;
  claimMs: Distribution;
  buildMs: Distribution;
  templateMs: Distribution;
  cpu: { userMs: number; systemMs: number; perProcess: Array<{ pid: number; role: ThreadMetrics['role']; userMs: number; systemMs: number }> };
  postgres: PostgresTotals | null;
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

export function distribution(histogram: Histogram): Distribution {
  const h = histogram;
  return { count: h.count, p50: round(percentileOf(h, 50)), p95: round(percentileOf(h, 95)), max: round(h.max), total: round(h.total) };
}

function waitTotal(records: ThreadMetrics[], key: keyof ThreadMetrics['waits']): WaitTotal {
  const perProcess = new Map<number, number>();
  for (const r of records) perProcess.set(r.pid, (perProcess.get(r.pid) ?? 0) + r.waits[key]);
  const values = [...perProcess.values()];
  return { total: round(values.reduce((a, b) => a + b, 0)), maxPerProcess: round(Math.max(0, ...values)) };
}

function longestWait(records: ThreadMetrics[]): number {
  const perProcess = new Map<number, number>();
  for (const r of records) perProcess.set(r.pid, (perProcess.get(r.pid) ?? 0) + r.waits.serverMs + r.waits.pairsMs + r.waits.databasesMs);
  return round(Math.max(0, ...perProcess.values()));
}

/** Merges every thread's record of a run (and what the end of the run found) into the run's figures. */
export function mergeRunMetrics(
  records: ThreadMetrics[],
  run: { runId: string; startedAt: number; swept: number; postgres: PostgresTotals | null },
  now = Date.now(),
): RunMetrics {
  const sum = (key: keyof ThreadMetrics['counts']): number => records.reduce((n, r) => n + (r.counts[key] ?? 0), 0);
  const all = (key: keyof ThreadMetrics['samples']): Histogram => {
    const merged = emptyHistogram();
    for (const r of records) mergeInto(merged, r.samples[key]);
    return merged;
  };
  const starts = records.flatMap((r) => (r.server ? [r.server] : []));
  const withCpu = records.filter((r) => r.cpu);
  return {
    version: 1,
    runId: run.runId,
    endedAt: new Date(now).toISOString(),
    durationMs: Math.max(0, now - run.startedAt),
    testProcesses: records.filter((r) => r.role === 'worker' || r.role === 'serial').length,
    server: starts.find((s) => s.start === 'cold') ?? starts[0] ?? null,
    waits: { server: waitTotal(records, 'serverMs'), pairs: waitTotal(records, 'pairsMs'), databases: waitTotal(records, 'databasesMs'), longest: longestWait(records) },
    pairs: { made: sum('pairsMade'), claimed: sum('pairsClaimed'), kept: sum('pairsKept'), dropped: sum('pairsDropped'), unused: sum('pairsUnused'), leaked: records.reduce((n, r) => n + r.open, 0) },
    databases: { made: sum('databasesMade'), claimed: sum('databasesClaimed'), kept: sum('databasesKept'), dropped: sum('databasesDropped') },
    swept: run.swept,
    claimMs: distribution(all('claimMs')),
    buildMs: distribution(all('buildMs')),
    templateMs: distribution(all('templateMs')),
    cpu: {
      userMs: withCpu.reduce((n, r) => n + r.cpu!.userMs, 0),
      systemMs: withCpu.reduce((n, r) => n + r.cpu!.systemMs, 0),
      perProcess: withCpu.map((r) => ({ pid: r.pid, role: r.role, userMs: r.cpu!.userMs, systemMs: r.cpu!.systemMs })),
    },
    postgres: run.postgres,
  };
}
