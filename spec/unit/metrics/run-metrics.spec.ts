import { expect } from 'chai';
import { overBudget } from '../../../lib/metrics/budget.js';
import { isThreadMetrics } from '../../../lib/metrics/metrics-files.js';
import { claimed, count, released, resetMetrics, sample, serverStarted, snapshot, waited } from '../../../lib/metrics/process-metrics.js';
import { distribution, mergeRunMetrics } from '../../../lib/metrics/run-metrics.js';
import { summaryLine } from '../../../lib/metrics/summary-line.js';

/** Two test processes' records, as their threads would write them. */
function records() {
  resetMetrics();
  serverStarted({ provider: 'docker', start: 'cold', readyMs: 900 });
  count('pairsMade', 3);
  for (const ms of [0.01, 0.02, 5]) claimed(ms);
  released(false);
  released(true);
  waited('serverMs', 900);
  waited('pairsMs', 20);
  const first = { ...snapshot('worker', 101, 0, { userMs: 100, systemMs: 10 }) };
  resetMetrics();
  serverStarted({ provider: 'docker', start: 'warm', readyMs: 3 });
  count('pairsMade', 2);
  claimed(0.03);
  released(false);
  sample('buildMs', 12);
  waited('pairsMs', 40);
  const second = snapshot('worker', 102, 0, { userMs: 50, systemMs: 5 });
  resetMetrics();
  return [first, second];
}

describe('run metrics: merging what each process recorded', function () {
  it('sums counts, keeps the cold start, and counts a pair claimed by a test that never ended as leaked', function () {
    const m = mergeRunMetrics(records(), { runId: 'r', startedAt: 1_000, swept: 4, postgres: null }, 2_000);
    expect(m.pairs).to.deep.equal({ made: 5, claimed: 4, kept: 1, dropped: 2, leaked: 1 });
    expect(m.server).to.deep.equal({ provider: 'docker', start: 'cold', readyMs: 900 });
    expect(m.testProcesses).to.equal(2);
    expect(m.waits.server).to.deep.equal({ total: 900, maxPerProcess: 900 });
    expect(m.waits.longest).to.equal(920);
    expect(m.claimMs.count).to.equal(4);
    expect(m.cpu.userMs).to.equal(150);
    expect(m.durationMs).to.equal(1_000);
  });

  it('percentiles are nearest-rank: p95 of 1..100 is 95, of one value that value', function () {
    const d = distribution(Array.from({ length: 100 }, (_, i) => i + 1));
    expect([d.p50, d.p95, d.max, d.count]).to.deep.equal([50, 95, 100, 100]);
    expect(distribution([7]).p95).to.equal(7);
    expect(distribution([])).to.deep.equal({ count: 0, p50: 0, p95: 0, max: 0, total: 0 });
  });

  it('the summary is one line with the figures', function () {
    const line = summaryLine(mergeRunMetrics(records(), { runId: 'r', startedAt: 0, swept: 0, postgres: null }));
    expect(line).to.not.include('\n');
    expect(line).to.match(/^pgdock: docker server cold \(ready in 900 ms\) · 2 test processes waited 900 ms for the server, 60 ms for pairs/);
    expect(line).to.include('pairs: 5 made, 4 claimed, 1 kept, 1 leaked');
  });

  it('the budget passes a run within its limits and names each limit exceeded, with the figure (must fail)', function () {
    const m = mergeRunMetrics(records(), { runId: 'r', startedAt: 0, swept: 0, postgres: null });
    expect(overBudget(m, {})).to.deep.equal([]);
    expect(overBudget(m, { serverStartMs: 900, claimP95Ms: 5, waitMs: 920, leakedPairs: 1 })).to.deep.equal([]);
    expect(overBudget(m, { serverStartMs: 899, claimP95Ms: 4.9, waitMs: 919, leakedPairs: 0 })).to.deep.equal([
      'server start-up (cold) was 900 ms, over the limit of 899 ms',
      'pair claim p95 (4 claims) was 5 ms, over the limit of 4.9 ms',
      'the longest wait of a test process for pgdock was 920 ms, over the limit of 919 ms',
      'pairs leaked was 1, over the limit of 0',
    ]);
  });

  it('a record that is not one is not merged (must fail)', function () {
    expect(isThreadMetrics(records()[0])).to.equal(true);
    for (const bad of [null, {}, { version: 2 }, { ...records()[0], samples: { claimMs: 'x' } }]) expect(isThreadMetrics(bad)).to.equal(false);
  });
});
