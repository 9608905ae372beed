import { expect } from 'chai';
import { overBudget } from '../../../lib/metrics/budget.js';
import { isThreadMetrics } from '../../../lib/metrics/metrics-files.js';
import { addTo, emptyHistogram, percentileOf } from '../../../lib/metrics/histogram.js';
import { MetricsRecorder } from '../../../lib/metrics/process-metrics.js';
import { distribution, mergeRunMetrics } from '../../../lib/metrics/run-metrics.js';
import { summaryLine } from '../../../lib/metrics/summary-line.js';

/** Two test processes' records, as their threads would write them (recorders of the spec's own: this run's are left alone). */
function records() {
  const one = new MetricsRecorder();
  one.serverStarted({ provider: 'docker', start: 'cold', readyMs: 900 });
  one.count('pairsMade', 3);
  for (const ms of [0.01, 0.02, 5]) one.claimed(ms);
  one.released(false);
  one.released(true);
  one.waited('serverMs', 900);
  one.waited('pairsMs', 20);
  const two = new MetricsRecorder();
  two.serverStarted({ provider: 'docker', start: 'warm', readyMs: 3 });
  two.count('pairsMade', 2);
  two.count('pairsUnused', 1);
  two.claimed(0.03);
  two.released(false);
  two.sample('buildMs', 12);
  two.waited('pairsMs', 40);
  return [one.snapshot('worker', 101, 0, { userMs: 100, systemMs: 10 }), two.snapshot('worker', 102, 0, { userMs: 50, systemMs: 5 })];
}

describe('run metrics: merging what each process recorded', function () {
  it('sums counts, keeps the cold start, and counts a pair claimed by a test that never ended as leaked', function () {
    const m = mergeRunMetrics(records(), { runId: 'r', startedAt: 1_000, swept: 4, postgres: null }, 2_000);
    expect(m.pairs).to.deep.equal({ made: 5, claimed: 4, kept: 1, dropped: 2, unused: 1, leaked: 1 });
    expect(m.server).to.deep.equal({ provider: 'docker', start: 'cold', readyMs: 900 });
    expect(m.testProcesses).to.equal(2);
    expect(m.waits.server).to.deep.equal({ total: 900, maxPerProcess: 900 });
    expect(m.waits.longest).to.equal(920);
    expect(m.claimMs.count).to.equal(4);
    expect(m.cpu.userMs).to.equal(150);
    expect(m.durationMs).to.equal(1_000);
  });

  it('percentiles are nearest-rank within 5% (a log-scale histogram), max and total exact; must fail: a p95 that is the max', function () {
    const h = emptyHistogram();
    for (let i = 1; i <= 100; i++) addTo(h, i);
    const d = distribution(h);
    expect(d.p50).to.be.within(50, 50 * 1.05);
    expect(d.p95).to.be.within(95, 95 * 1.05);
    expect(d.p95).to.be.below(d.max);
    expect([d.max, d.count, d.total]).to.deep.equal([100, 100, 5050]);
    const one = emptyHistogram();
    addTo(one, 7);
    expect(percentileOf(one, 95), 'never above the largest value').to.equal(7);
    expect(distribution(emptyHistogram())).to.deep.equal({ count: 0, p50: 0, p95: 0, max: 0, total: 0 });
    const tiny = emptyHistogram();
    for (const ms of [0.004, 0.008, 0.019]) addTo(tiny, ms);
    expect(percentileOf(tiny, 50)).to.be.within(0.008, 0.008 * 1.05);
  });

  it('a record stays small however many claims a process makes', function () {
    const r = new MetricsRecorder();
    for (let i = 0; i < 50_000; i++) r.claimed(Math.random() * 10);
    expect(JSON.stringify(r.snapshot('worker', 1, 0)).length).to.be.below(20_000);
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
    for (const bad of [null, {}, { version: 2 }, { ...records()[0], samples: { claimMs: 'x' } }, { ...records()[0], samples: { ...records()[0]!.samples, buildMs: { count: 1, total: 1, max: 1, buckets: { 3: -1 } } } }]) {
      expect(isThreadMetrics(bad)).to.equal(false);
    }
  });
});
