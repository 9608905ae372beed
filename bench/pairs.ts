// `npm run bench` (second part): what a schema pair costs a test, against same-run baselines.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres, { type Sql } from 'postgres';
import { acquireServer } from '../lib/server/acquire-server.js';
import { processStartTime } from '../lib/coordination/leases.js';
import { resolveOptions } from '../lib/config/options.js';
import { schemaPairNames } from '../lib/isolation/names.js';
import { PairClient } from '../lib/sync/schema-pairs.js';
import { LocalPairs } from '../lib/mocha/local-pairs.js';
import { claimed, released } from '../lib/metrics/process-metrics.js';
import { recordForRun, removeRunMetrics, runMetricsDir } from '../lib/metrics/metrics-files.js';
import { connectionUrl, type ServerInfo } from '../lib/server/server-info.js';
import { median, percentile, round } from './stats.js';

const here = dirname(fileURLToPath(import.meta.url));
const IMAGE = process.env.PGDOCK_IMAGE ?? 'pgdock-local/postgres:15';
const TESTS = Number(process.env.BENCH_PAIR_TESTS ?? 200);
const PACE_MS = Number(process.env.BENCH_PAIR_PACE_MS ?? 20);
const BASELINE_ROUNDS = Number(process.env.BENCH_BASELINE_ROUNDS ?? 40);

const TEN_TABLES = Array.from({ length: 10 }, (_, i) =>
  `create table t${i} (id bigserial primary key, name text not null, created timestamptz default now(), data jsonb);`).join('\n');

interface Figures {
  acquire: number[];
  release: number[];
  /** What pgdock's root beforeEach waited for a pair built ahead (the warm path), before the test's clock starts. */
  hookWait?: number[];
}

/**
 * Simulated tests through the warm path: pairs built ahead on this thread (LocalPairs), the root
 * beforeEach's wait for one, then the test's synchronous take and its release.
 */
async function ownThread(url: string, info: ServerInfo, files: string[], paceMs: number, recorded = false): Promise<Figures> {
  const pairs = new LocalPairs(info, { sourceFiles: files, destinationFiles: files, key: `bench-local-${files.length}-${paceMs}` },
    { pid: process.pid, pidStart: processStartTime(process.pid), host: hostname(), run: 'bench' }, resolveOptions({}, {}).poolSize);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const figures: Figures = { acquire: [], release: [], hookWait: [] };
  try {
    await pairs.ready(); // the root beforeAll of the first file
    for (let i = 0; i < TESTS; i++) {
      let t = performance.now();
      await pairs.ready(); // the root beforeEach
      figures.hookWait!.push(performance.now() - t);
      const testStart = performance.now();
      t = performance.now();
      let names;
      if (recorded) {
        // As this.pg's claim does it with run metrics on: timed, and the time recorded.
        const asked = performance.now();
        names = pairs.take();
        claimed(performance.now() - asked);
      } else {
        names = pairs.take();
      }
      figures.acquire.push(performance.now() - t);
      if (!names) throw new Error('no pair was ready after the hook waited for one');
      await sql.unsafe(files.length ? `insert into ${names.source}.t0 (name) values ('x')` : `create table ${names.source}.t (v int)`);
      await work(sql, paceMs - (performance.now() - testStart));
      t = performance.now();
      pairs.release(names);
      if (recorded) released(false);
      figures.release.push(performance.now() - t);
    }
  } finally {
    await pairs.close();
    await sql.end();
  }
  return figures;
}

/** Simulated tests through the real path: a pool thread per process, claims by rename. */
async function pooled(url: string, info: ServerInfo, files: string[], paceMs: number): Promise<Figures> {
  const client = new PairClient({
    isolation: 'schema',
    server: info,
    setup: { sourceFiles: files, destinationFiles: files, key: `bench-${files.length}-${paceMs}` },
    owner: { pid: process.pid, pidStart: processStartTime(process.pid), host: hostname(), run: 'bench' },
    size: resolveOptions({}, {}).poolSize,
  });
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const figures: Figures = { acquire: [], release: [] };
  try {
    await sleep(1000); // the pool fills while the first spec file loads
    for (let i = 0; i < TESTS; i++) {
      const testStart = performance.now();
      const names = schemaPairNames(`bench test ${i}`);
      let t = performance.now();
      client.claim(names);
      figures.acquire.push(performance.now() - t);
      await sql.unsafe(files.length ? `insert into ${names.source}.t0 (name) values ('x')` : `create table ${names.source}.t (v int)`);
      await work(sql, paceMs - (performance.now() - testStart));
      t = performance.now();
      client.release(names);
      figures.release.push(performance.now() - t);
    }
  } finally {
    client.close();
    await sql.end();
  }
  return figures;
}

/** A test's own work for `ms`: queries on its connection, as a database test does (not a sleep). */
async function work(sql: Sql, ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) await sql`select count(*) from pg_class`;
}

/** What any query costs here after the idle gap a paced test leaves (virtual CPUs wake slowly). */
async function idleSelect(sql: Sql): Promise<Figures> {
  const figures: Figures = { acquire: [], release: [] };
  for (let i = 0; i < BASELINE_ROUNDS; i++) {
    await sleep(PACE_MS);
    const t = performance.now();
    await sql`select 1`;
    figures.acquire.push(performance.now() - t);
  }
  return figures;
}

/** Baseline: create the pair (with the same setup) when the test starts, drop it when it ends. */
async function createAndDrop(sql: Sql, setup: string): Promise<Figures> {
  const figures: Figures = { acquire: [], release: [] };
  for (let i = 0; i < BASELINE_ROUNDS; i++) {
    await work(sql, PACE_MS); // the same test work between pairs as the pooled runs
    const { source, destination } = schemaPairNames(`baseline ${i}`);
    let t = performance.now();
    await sql.unsafe(`create schema ${source}; create schema ${destination};
      set search_path to ${source}; ${setup} set search_path to ${destination}; ${setup} set search_path to public`);
    figures.acquire.push(performance.now() - t);
    await work(sql, PACE_MS);
    t = performance.now();
    await sql.unsafe(`drop schema ${source}, ${destination} cascade`);
    figures.release.push(performance.now() - t);
  }
  return figures;
}

/** Baseline: a database per test, cloned from a template that already has the setup. */
async function templateDatabase(sql: Sql, url: string, setup: string): Promise<Figures> {
  await sql.unsafe('drop database if exists pgdock_bench_tpl');
  await sql.unsafe('create database pgdock_bench_tpl');
  const tpl = postgres(url.replace(/\/postgres$/, '/pgdock_bench_tpl'), { max: 1, onnotice: () => {} });
  await tpl.unsafe(`create schema src; create schema dst; set search_path to src; ${setup} set search_path to dst; ${setup}`);
  await tpl.end();
  const figures: Figures = { acquire: [], release: [] };
  for (let i = 0; i < BASELINE_ROUNDS; i++) {
    await work(sql, PACE_MS);
    let t = performance.now();
    await sql.unsafe(`create database pgdock_bench_${i} template pgdock_bench_tpl`);
    figures.acquire.push(performance.now() - t);
    await work(sql, PACE_MS);
    t = performance.now();
    await sql.unsafe(`drop database pgdock_bench_${i}`);
    figures.release.push(performance.now() - t);
  }
  await sql.unsafe('drop database pgdock_bench_tpl');
  return figures;
}

function row(label: string, values: number[]): string {
  return `| ${label.padEnd(52)} | ${String(round(median(values), 2)).padStart(7)} | ${String(round(percentile(values, 95), 2)).padStart(7)} |`;
}

/**
 * The warm claim without and with run metrics recorded (#19: recording must not show in a claim),
 * in interleaved rounds; the recording run writes its file to a run folder of its own, removed after.
 */
async function recordingCompared(url: string, info: ServerInfo, scratch: string): Promise<{ emptyLocal: Figures; emptyLocalRecorded: Figures }> {
  const plain: Figures = { acquire: [], release: [], hookWait: [] };
  const recorded: Figures = { acquire: [], release: [], hookWait: [] };
  process.env.PGDOCK_RUN_ID = `bench-${process.pid}`;
  process.env.PGDOCK_RUN_PID = String(process.pid);
  const stateDir = join(scratch, 'state');
  recordForRun(stateDir, 'serial');
  try {
    for (let round = 0; round < 4; round++) {
      for (const [into, record] of [[plain, false], [recorded, true]] as const) {
        const f = await ownThread(url, info, [], PACE_MS, record);
        into.acquire.push(...f.acquire);
        into.release.push(...f.release);
        into.hookWait!.push(...f.hookWait!);
      }
    }
  } finally {
    removeRunMetrics(runMetricsDir(stateDir, `bench-${process.pid}`));
    delete process.env.PGDOCK_RUN_ID;
    delete process.env.PGDOCK_RUN_PID;
  }
  return { emptyLocal: plain, emptyLocalRecorded: recorded };
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'pgdock-bench-pairs-'));
  writeFileSync(join(scratch, 'package.json'), '{"name":"bench-pairs"}');
  const setupFile = join(scratch, 'ten-tables.sql');
  writeFileSync(setupFile, TEN_TABLES);
  const server = await acquireServer({ projectRoot: scratch, stateDir: join(scratch, 'state'), image: IMAGE, reuse: false });
  const info = { ...server, password: server.password };
  const url = connectionUrl(info);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const results = {
      idleSelect: await idleSelect(sql),
      ...(await recordingCompared(url, info, scratch)),
      tenLocal: await ownThread(url, info, [setupFile], PACE_MS),
      tenLocalBackToBack: await ownThread(url, info, [setupFile], 0),
      tenLocalPropertyCases: await ownThread(url, info, [setupFile], 2),
      emptyPooled: await pooled(url, info, [], PACE_MS),
      tenPooled: await pooled(url, info, [setupFile], PACE_MS),
      tenBackToBack: await pooled(url, info, [setupFile], 0),
      // #17: freshPair() per fast-check case, 10-table setup: a case runs ~2 ms of SQL, claim + release each.
      tenPropertyCases: await pooled(url, info, [setupFile], 2),
      emptyCreateDrop: await createAndDrop(sql, ''),
      tenCreateDrop: await createAndDrop(sql, TEN_TABLES),
      emptyTemplate: await templateDatabase(sql, url, ''),
      tenTemplate: await templateDatabase(sql, url, TEN_TABLES),
    };
    const lines = [
      `pgdock schema pairs: what a test waits for (ms); ${TESTS} tests, each running queries for ${PACE_MS} ms; image ${IMAGE}`,
      '',
      `| ${'measure'.padEnd(52)} | ${'p50'.padStart(7)} | ${'p95'.padStart(7)} |`,
      `|${'-'.repeat(54)}|${'-'.repeat(9)}|${'-'.repeat(9)}|`,
      row('warm claim (built ahead, own thread), empty pair', results.emptyLocal.acquire),
      row('  its root beforeEach waited, empty pair', results.emptyLocal.hookWait!),
      row('warm claim, empty pair, run metrics recorded (#19)', results.emptyLocalRecorded.acquire),
      row('warm claim, pair with 10 tables each', results.tenLocal.acquire),
      row('  its root beforeEach waited, 10 tables', results.tenLocal.hookWait!),
      row('warm claim, 10 tables, tests back to back (0 ms)', results.tenLocalBackToBack.acquire),
      row('  its root beforeEach waited, back to back', results.tenLocalBackToBack.hookWait!),
      row('freshPair() per property case, warm (wait + take + release)', results.tenLocalPropertyCases.acquire.map((a, i) => a + results.tenLocalPropertyCases.hookWait![i]! + results.tenLocalPropertyCases.release[i]!)),
      row('pool thread claim (cold worker\'s first), empty pair', results.emptyPooled.acquire),
      row('pgdock release, empty pair', results.emptyPooled.release),
      row('pgdock acquire, pair with 10 tables each', results.tenPooled.acquire),
      row('pgdock release, pair with 10 tables each', results.tenPooled.release),
      row('pgdock acquire, 10 tables, tests back to back (0 ms)', results.tenBackToBack.acquire),
      row('freshPair() per property case (2 ms of SQL), 10 tables', results.tenPropertyCases.acquire.map((a, i) => a + results.tenPropertyCases.release[i]!)),
      row('idle wake-up: `select 1` after 20 ms asleep (for scale)', results.idleSelect.acquire),
      row('baseline CREATE pair, empty', results.emptyCreateDrop.acquire),
      row('baseline DROP pair, empty', results.emptyCreateDrop.release),
      row('baseline CREATE pair, 10 tables each', results.tenCreateDrop.acquire),
      row('baseline DROP pair, 10 tables each', results.tenCreateDrop.release),
      row('baseline CREATE DATABASE ... TEMPLATE, empty', results.emptyTemplate.acquire),
      row('baseline DROP DATABASE, empty', results.emptyTemplate.release),
      row('baseline CREATE DATABASE ... TEMPLATE, 10 tables', results.tenTemplate.acquire),
      row('baseline DROP DATABASE, 10 tables', results.tenTemplate.release),
      '',
      `targets: warm claim p50 <= 0.1 ms and p95 <= 1 ms, empty and 10-table pairs (#18), also with run metrics recorded (#19); pool thread acquire p50 <= 1 ms and p95 <= 5 ms with tests of ${PACE_MS} ms; freshPair per property case p50 <= 2 ms (#17)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    const summary = Object.fromEntries(Object.entries(results).map(([k, f]) => [k, {
      acquireP50: round(median(f.acquire), 3), acquireP95: round(percentile(f.acquire, 95), 3),
      ...(f.hookWait ? { hookWaitP50: round(median(f.hookWait), 3), hookWaitP95: round(percentile(f.hookWait, 95), 3) } : {}),
      releaseP50: round(median(f.release), 3), releaseP95: round(percentile(f.release, 95), 3),
    }]));
    const out = join(here, '..', '..', 'bench', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'pairs.json'), `${JSON.stringify({ image: IMAGE, at: new Date().toISOString(), tests: TESTS, paceMs: PACE_MS, summary, raw: results }, null, 2)}\n`);
    process.stdout.write('wrote bench/results/pairs.json\n');
    const ok = (f: Figures) => median(f.acquire) <= 1 && percentile(f.acquire, 95) <= 5;
    const warmOk = (f: Figures) => median(f.acquire) <= 0.1 && percentile(f.acquire, 95) <= 1;
    if (!ok(results.emptyPooled) || !ok(results.tenPooled) || !warmOk(results.emptyLocal) || !warmOk(results.emptyLocalRecorded) || !warmOk(results.tenLocal)) process.exitCode = 1;
  } finally {
    await sql.end();
    await server.release();
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
