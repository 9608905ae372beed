// Covered by spec/unit/metrics/run-metrics.spec.ts.
import type { Distribution, RunMetrics } from './run-metrics.js';

const ms = (n: number): string => (n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : n >= 10 ? `${Math.round(n)} ms` : `${Number(n.toFixed(2))} ms`);
const dist = (d: Distribution): string => `p50 ${ms(d.p50)} p95 ${ms(d.p95)}`;
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** The one line a run prints at its end: where its time went on pgdock's side. */
export function summaryLine(m: RunMetrics): string {
  const parts: string[] = [];
  parts.push(m.server ? `${m.server.provider} server ${m.server.start} (ready in ${ms(m.server.readyMs)})` : 'no server used');
  const processes = plural(m.testProcesses, 'test process', 'test processes');
  parts.push(`${processes} waited ${ms(m.waits.server.total)} for the server, ${ms(m.waits.pairs.total)} for pairs${m.waits.databases.total ? `, ${ms(m.waits.databases.total)} for databases` : ''}`);
  if (m.pairs.made || m.pairs.claimed) {
    parts.push(`pairs: ${m.pairs.made} made, ${m.pairs.claimed} claimed, ${m.pairs.kept} kept, ${m.pairs.leaked} leaked`);
  }
  if (m.databases.made || m.databases.claimed) parts.push(`databases: ${m.databases.made} made, ${m.databases.claimed} claimed, ${m.databases.kept} kept`);
  if (m.claimMs.count) parts.push(`claim ${dist(m.claimMs)}`);
  if (m.buildMs.count) parts.push(`builds ${dist(m.buildMs)}${m.templateMs.count ? `, templates ${ms(m.templateMs.total)}` : ''}`);
  if (m.swept) parts.push(`${plural(m.swept, 'schema or database', 'schemas and databases')} swept at the end`);
  parts.push(`CPU ${ms(m.cpu.userMs + m.cpu.systemMs)}`);
  if (m.postgres) {
    const p = m.postgres;
    parts.push(`Postgres: ${p.transactions} transactions, ${p.rowsInserted + p.rowsUpdated + p.rowsDeleted} rows written, ${p.rowsFetched} fetched${p.deadlocks ? `, ${plural(p.deadlocks, 'deadlock')}` : ''}`);
  }
  return `pgdock: ${parts.join(' · ')}`;
}
