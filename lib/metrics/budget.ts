// Covered by spec/unit/metrics/run-metrics.spec.ts and end to end by spec/e2e/run-metrics.spec.ts.
import type { RunMetrics } from './run-metrics.js';

/** The limits a run may set on pgdock's own figures (unset: not checked). */
export interface BudgetLimits {
  /** The server was ready within this many ms (cold or warm, as this run got it). */
  serverStartMs?: number | undefined;
  /** 95% of pair claims took at most this many ms. */
  claimP95Ms?: number | undefined;
  /** No test process waited longer than this in all (server, pairs, databases), ms. */
  waitMs?: number | undefined;
  /** At most this many pairs were claimed by a test that never ended (its process died, say). */
  leakedPairs?: number | undefined;
}

/** Each limit the run went over, with the figure: empty when it kept to all of them. */
export function overBudget(m: RunMetrics, limits: BudgetLimits): string[] {
  const over: string[] = [];
  const check = (limit: number | undefined, value: number, what: string, unit = ' ms'): void => {
    if (limit !== undefined && value > limit) over.push(`${what} was ${value}${unit}, over the limit of ${limit}${unit}`);
  };
  if (m.server) check(limits.serverStartMs, m.server.readyMs, `server start-up (${m.server.start})`);
  if (m.claimMs.count) check(limits.claimP95Ms, m.claimMs.p95, `pair claim p95 (${m.claimMs.count} claims)`);
  check(limits.waitMs, m.waits.longest, 'the longest wait of a test process for pgdock');
  check(limits.leakedPairs, m.pairs.leaked, 'pairs leaked', '');
  return over;
}
