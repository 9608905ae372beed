// `npm run bench`: start-up figures for pgdock against a raw `docker run` measured in the same run.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveOptions } from '../lib/config/options.js';
import { projectKey } from '../lib/coordination/server-key.js';
import { ServerWatch, removeProjectServers } from '../spec/support/server-watch.js';
import { SampleProject } from '../spec/support/sample-project.js';
import { median, percentile, round } from './stats.js';
import { rawDockerRun as rawDockerRunFloor, timedChild, type AttachTiming, type ChildReport } from './floors.js';

const here = dirname(fileURLToPath(import.meta.url));
const IMAGE = process.env.PGDOCK_IMAGE ?? 'pgdock-local/postgres:15';
const STARTS = Number(process.env.BENCH_STARTS ?? 9);
const WARM = Number(process.env.BENCH_WARM ?? 21);
const SUITE_ROUNDS = Number(process.env.BENCH_SUITE_ROUNDS ?? 50);

type ChildTiming = ChildReport<AttachTiming>;

const rawDockerRun = (): Promise<number> => rawDockerRunFloor(IMAGE);
const attachChild = (env: NodeJS.ProcessEnv): Promise<ChildTiming> => timedChild<AttachTiming>(join(here, 'attach-child.js'), env);

function row(label: string, values: number[], baseline?: number): string {
  const med = median(values);
  const ratio = baseline ? `${round(med / baseline, 2)}x` : '';
  return `| ${label.padEnd(58)} | ${String(round(med)).padStart(8)} | ${String(round(percentile(values, 95))).padStart(8)} | ${String(values.length).padStart(3)} | ${ratio.padStart(6)} |`;
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'pgdock-bench-'));
  process.env.PGDOCK_SPEC_SCRATCH = scratch;
  const projectRoot = join(scratch, 'attach-project');
  mkdirSync(projectRoot);
  writeFileSync(join(projectRoot, 'package.json'), '{"name":"bench"}');
  const baseEnv: NodeJS.ProcessEnv = { ...process.env, PGDOCK_IMAGE: IMAGE, PGDOCK_PROJECT_ROOT: projectRoot, PGDOCK_STATE_DIR: join(scratch, 'state') };
  delete baseEnv.PGDOCK_RUN_ID;
  delete baseEnv.PGDOCK_RUN_PID;
  const attachKey = projectKey(resolveOptions({}, baseEnv));
  let suite: SampleProject | undefined;
  try {
    await rawDockerRun(); // warm the engine's caches for both sides alike
    // The first cold start with an image builds its prepared cluster (once per image and settings): timed apart.
    const firstCold = await attachChild({ ...baseEnv, PGDOCK_REUSE: 'false', BENCH_RELEASE: '1' });
    const raw: number[] = [];
    const cold: ChildTiming[] = [];
    const coldPreloaded: ChildTiming[] = [];
    for (let i = 0; i < STARTS; i++) {
      // Interleaved so that machine noise falls on both sides alike.
      raw.push(await rawDockerRun());
      cold.push(await attachChild({ ...baseEnv, PGDOCK_REUSE: 'false', BENCH_RELEASE: '1' }));
      coldPreloaded.push(await attachChild({ ...baseEnv, PGDOCK_REUSE: 'false', BENCH_RELEASE: '1', BENCH_PRELOAD: '1' }));
    }
    await attachChild({ ...baseEnv, PGDOCK_REUSE: 'true' });
    const warm: ChildTiming[] = [];
    for (let i = 0; i < WARM; i++) warm.push(await attachChild({ ...baseEnv, PGDOCK_REUSE: 'true' }));
    await removeProjectServers(attachKey);

    // The embedded provider, for scale against the same lower bound (no Docker involved at all).
    const embeddedEnv = { ...baseEnv, PGDOCK_PROVIDER: 'embedded' };
    const embeddedFirstCold = await attachChild({ ...embeddedEnv, PGDOCK_REUSE: 'false', BENCH_RELEASE: '1' });
    const embeddedCold: ChildTiming[] = [];
    const embeddedColdPreloaded: ChildTiming[] = [];
    for (let i = 0; i < STARTS; i++) {
      embeddedCold.push(await attachChild({ ...embeddedEnv, PGDOCK_REUSE: 'false', BENCH_RELEASE: '1' }));
      embeddedColdPreloaded.push(await attachChild({ ...embeddedEnv, PGDOCK_REUSE: 'false', BENCH_RELEASE: '1', BENCH_PRELOAD: '1' }));
    }
    await attachChild({ ...embeddedEnv, PGDOCK_REUSE: 'true' });
    const embeddedWarm: ChildTiming[] = [];
    for (let i = 0; i < WARM; i++) embeddedWarm.push(await attachChild({ ...embeddedEnv, PGDOCK_REUSE: 'true' }));
    await attachChild({ ...embeddedEnv, PGDOCK_REUSE: 'false', BENCH_RELEASE: '1' }); // the last lease stops it

    suite = await SampleProject.create();
    const rounds: Array<{ ms: number; containers: number; ok: boolean }> = [];
    for (let i = 0; i < SUITE_ROUNDS; i++) {
      suite.resetResults();
      const watch = new ServerWatch(suite.projectKey);
      const result = await suite.mocha(['--parallel', '--jobs', '6']).done;
      await watch.stop();
      const seen = new Set(suite.results().map((s) => s.serverId));
      rounds.push({ ms: result.ms, containers: watch.ids.size, ok: result.code === 0 && watch.maxAtOnce === 1 && watch.ids.size === 1 && seen.size === 1 });
      await removeProjectServers(suite.projectKey);
    }

    const rawMedian = median(raw);
    const coldWall = cold.map((c) => c.wallMs);
    const warmScript = warm.map((w) => w.sinceScriptStartMs);
    const exactlyOne = rounds.filter((r) => r.ok).length;
    const lines = [
      `pgdock start-up benchmark, image ${IMAGE}, ${new Date().toISOString()}`,
      '',
      `| ${'measure (ms)'.padEnd(58)} | ${'median'.padStart(8)} | ${'p95'.padStart(8)} | ${'n'.padStart(3)} | ${'ratio'.padStart(6)} |`,
      `|${'-'.repeat(60)}|${'-'.repeat(10)}|${'-'.repeat(10)}|${'-'.repeat(5)}|${'-'.repeat(8)}|`,
      row('raw docker run + first query (lower bound)', raw),
      row('pgdock cold start to first query (fresh process, wall)', coldWall, rawMedian),
      row('  of which: module load (node boot excluded) + protocol', cold.map((c) => c.sinceScriptStartMs), rawMedian),
      row('  of which: acquireServer() call to first query', coldPreloaded.map((c) => c.sinceAcquireCallMs), rawMedian),
      row('first cold start with this image (builds its prepared image)', [firstCold.wallMs], rawMedian),
      row('pgdock warm attach: module load + attach + first query', warmScript),
      row('pgdock warm attach incl. node boot (process start)', warm.map((w) => w.sinceProcessStartMs)),
      row('pgdock warm attach, wall clock from spawn', warm.map((w) => w.wallMs)),
      row('embedded cold start to first query (fresh process, wall)', embeddedCold.map((c) => c.wallMs), rawMedian),
      row('  of which: acquireServer() call to first query', embeddedColdPreloaded.map((c) => c.sinceAcquireCallMs), rawMedian),
      row('embedded first cold start (builds its template)', [embeddedFirstCold.wallMs], rawMedian),
      row('embedded warm attach: module load + attach + first query', embeddedWarm.map((w) => w.sinceScriptStartMs)),
      row('12 files / 6 workers, cold suite run (mocha wall)', rounds.map((r) => r.ms)),
      '',
      `cold / lower bound: ${round(median(coldWall) / rawMedian, 3)} (target <= 1.15)`,
      `cold acquireServer() / lower bound: ${round(median(coldPreloaded.map((c) => c.sinceAcquireCallMs)) / rawMedian, 3)} (target <= 0.6)`,
      `embedded cold start: ${round(median(embeddedCold.map((c) => c.wallMs)))} ms from spawn, ${round(median(embeddedColdPreloaded.map((c) => c.sinceAcquireCallMs)))} ms acquireServer() (target <= 500)`,
      `warm attach median: ${round(median(warmScript))} ms (target <= 100)`,
      `suite rounds with exactly one container: ${exactlyOne} of ${rounds.length} (target: all)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    const results = {
      image: IMAGE,
      at: new Date().toISOString(),
      rawDockerRunMs: raw,
      coldStartMs: coldWall,
      coldSinceScriptStartMs: cold.map((c) => c.sinceScriptStartMs),
      coldSinceAcquireCallMs: coldPreloaded.map((c) => c.sinceAcquireCallMs),
      warmAttachMs: warmScript,
      warmAttachSinceProcessStartMs: warm.map((w) => w.sinceProcessStartMs),
      firstColdStartMs: firstCold.wallMs,
      embeddedFirstColdStartMs: embeddedFirstCold.wallMs,
      embeddedColdStartMs: embeddedCold.map((c) => c.wallMs),
      embeddedColdSinceAcquireCallMs: embeddedColdPreloaded.map((c) => c.sinceAcquireCallMs),
      embeddedWarmAttachMs: embeddedWarm.map((w) => w.sinceScriptStartMs),
      suiteRounds: rounds,
      summary: {
        rawMedianMs: round(rawMedian),
        coldMedianMs: round(median(coldWall)),
        coldRatio: round(median(coldWall) / rawMedian, 3),
        coldProtocolOnlyRatio: round(median(coldPreloaded.map((c) => c.sinceAcquireCallMs)) / rawMedian, 3),
        warmMedianMs: round(median(warmScript)),
        embeddedColdMedianMs: round(median(embeddedCold.map((c) => c.wallMs))),
        embeddedWarmMedianMs: round(median(embeddedWarm.map((w) => w.sinceScriptStartMs))),
        suiteRoundsExactlyOne: exactlyOne,
        suiteRounds: rounds.length,
      },
    };
    const out = join(here, '..', '..', 'bench', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'startup.json'), `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`wrote bench/results/startup.json\n`);
    if (median(coldWall) / rawMedian > 1.15 || median(warmScript) > 100 || exactlyOne !== rounds.length) process.exitCode = 1;
  } finally {
    await removeProjectServers(attachKey);
    if (suite) await removeProjectServers(suite.projectKey);
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
