// `npm run bench:peers` (#18): pgdock against what a user would pick instead (testcontainers,
// docker-compose v1) on one workload, cold and warm, serial and `--parallel --jobs 4`, in
// interleaved rounds; then start-up alone against its floors. Writes bench/results/peers.{json,svg}
// and the README's block. Counts the containers it owns before and after every run.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { resolveOptions } from '../../lib/config/options.js';
import { projectKey } from '../../lib/coordination/server-key.js';
import { SPEED_ARGS } from '../../lib/server/postgres-args.js';
import { rawDockerRun, timedChild, type AttachTiming } from '../floors.js';
import { median } from '../stats.js';
import { ComposeProject, ensureCompose, freePort } from './compose.js';
import { expectContainers, preparedImages, removeLabelled, removePreparedSince } from './containers.js';
import { PEERS_LABEL } from './peer-labels.js';
import { PEERS, timeMocha, timeMochaVersion, writeProject, type PeerName } from './projects.js';
import { chartSvg, startupTable, suiteTable, updateReadme, SUITE_MODES, type PeersResults, type SuiteMode } from './report.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const IMAGE = process.env.PGDOCK_IMAGE ?? 'pgdock-local/postgres:15';
const ROUNDS = Number(process.env.BENCH_PEERS_ROUNDS ?? 5);
const PARALLEL = ['--parallel', '--jobs', '4'];
const log = (line: string): void => void process.stdout.write(`${line}\n`);

async function ensureImage(): Promise<void> {
  const present = await run('docker', ['image', 'inspect', IMAGE]).then(() => true, () => false);
  if (present) return;
  log(`image ${IMAGE} is missing: building it with fixtures/image/build.sh (about a minute)`);
  await run('bash', [join(repo, 'fixtures', 'image', 'build.sh'), IMAGE]);
}

async function main(): Promise<void> {
  if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`BENCH_PEERS_ROUNDS must be a whole number ≥ 1, not ${process.env.BENCH_PEERS_ROUNDS}`);
  const started = performance.now();
  await ensureImage();
  const compose = await ensureCompose(log);
  const tcVersion = (JSON.parse(readFileSync(join(repo, 'node_modules', 'testcontainers', 'package.json'), 'utf8')) as { version: string }).version;

  const runId = `${process.pid}-${Date.now().toString(36)}`;
  const scratch = mkdtempSync(join(tmpdir(), 'pgdock-bench-peers-'));
  const dirs = Object.fromEntries(PEERS.map((p) => [p, writeProject(scratch, p, repo)])) as Record<PeerName, string>;
  const env: NodeJS.ProcessEnv = { ...process.env, PGDOCK_IMAGE: IMAGE, PGDOCK_PROVIDER: 'docker', PGDOCK_PROJECT_ROOT: dirs.pgdock, PGDOCK_STATE_DIR: join(scratch, 'state') };
  for (const name of ['CI', 'PGDOCK_RUN_ID', 'PGDOCK_RUN_PID', 'PGDOCK_URL', 'DATABASE_URL', 'TESTCONTAINERS_REUSE_ENABLE']) delete env[name];
  Object.assign(process.env, { PGDOCK_IMAGE: IMAGE, PGDOCK_PROVIDER: 'docker', PGDOCK_PROJECT_ROOT: dirs.pgdock, PGDOCK_STATE_DIR: env.PGDOCK_STATE_DIR });
  const labels: Record<PeerName | 'raw', string> = {
    pgdock: `pgdock.project=${projectKey(resolveOptions({}, env))}`,
    testcontainers: `${PEERS_LABEL}=${runId}-tc`,
    compose: `${PEERS_LABEL}=${runId}-compose`,
    raw: `${PEERS_LABEL}=${runId}-raw`,
  };
  const composeProject = new ComposeProject(dirs.compose, `pgdockpeers${runId.replace(/\W/g, '')}`, await freePort(), IMAGE, labels.compose);
  const tcEnv = (warm: boolean): NodeJS.ProcessEnv => ({ ...env, TESTCONTAINERS_RYUK_DISABLED: 'true', TESTCONTAINERS_REUSE_ENABLE: String(warm), BENCH_PEERS_RUN: `${runId}-tc` });
  const suite = Object.fromEntries(Object.keys(SUITE_MODES).map((m) => [m, { pgdock: [], testcontainers: [], compose: [] }])) as unknown as PeersResults['suite'];
  const composeColdParts: PeersResults['composeColdParts'] = { upMs: [], mochaMs: [], downMs: [] };

  /** One timed run of one peer: the user's whole command, with its containers counted before and after. */
  async function runPeer(peer: PeerName, warm: boolean, args: string[]): Promise<number> {
    const expected = warm ? 1 : 0;
    const what = `${peer} ${warm ? 'warm' : 'cold'} ${args.length ? 'parallel' : 'serial'}`;
    await expectContainers(labels[peer], expected, `before ${what}`);
    let ms: number;
    if (peer === 'pgdock') ms = await timeMocha(dirs.pgdock, args, { ...env, PGDOCK_REUSE: String(warm) });
    else if (peer === 'testcontainers') ms = await timeMocha(dirs.testcontainers, args, tcEnv(warm));
    else if (warm) ms = await timeMocha(dirs.compose, args, { ...env, DATABASE_URL: composeProject.url });
    else {
      let t = performance.now();
      await composeProject.up();
      const up = performance.now() - t;
      const mocha = await timeMocha(dirs.compose, args, { ...env, DATABASE_URL: composeProject.url });
      t = performance.now();
      await composeProject.down();
      const down = performance.now() - t;
      composeColdParts.upMs.push(up);
      composeColdParts.mochaMs.push(mocha);
      composeColdParts.downMs.push(down);
      ms = up + mocha + down;
    }
    await expectContainers(labels[peer], expected, `after ${what}`);
    return ms;
  }

  const attach = (extra: NodeJS.ProcessEnv) => timedChild<AttachTiming>(join(repo, 'dist', 'bench', 'attach-child.js'), { ...env, ...extra });
  const startup: PeersResults['startup'] = { rawDockerRunMs: [], pgdockColdWallMs: [], pgdockColdAcquireMs: [], bareConnectWallMs: [], pgdockWarmAttachWallMs: [] };
  const launch: PeersResults['launch'] = { npx: env.BENCH_PEERS_NPX === '1', npxMs: [], directMs: [] };
  // pgdock's prepared cluster is a cache of the user's, like the base image: one this run built goes at its end.
  const preparedBefore = await preparedImages();
  try {
    for (const label of Object.values(labels)) await expectContainers(label, 0, 'at the start');
    log(`peers benchmark: ${ROUNDS} rounds, image ${IMAGE}, testcontainers ${tcVersion}, docker-compose ${compose.version}${compose.installedNow ? ' (installed by this run with apt-get)' : ''}`);

    // Cold: nothing of the peer's running before, nothing after. One untimed round first (disk caches, npx).
    for (const peer of PEERS) await runPeer(peer, false, []);
    for (const parts of Object.values(composeColdParts)) parts.length = 0; // the untimed round's
    for (let r = 0; r < ROUNDS; r++) {
      for (const [mode, args] of [['coldSerial', []], ['coldParallel', PARALLEL]] as Array<[SuiteMode, string[]]>) {
        for (const peer of PEERS) suite[mode][peer].push(await runPeer(peer, false, args));
      }
      log(`cold round ${r + 1}/${ROUNDS} done (${Math.round((performance.now() - started) / 1000)} s)`);
    }
    // Start-up alone, cold, against `docker run` + poll; interleaved.
    await rawDockerRun(IMAGE, { [PEERS_LABEL]: `${runId}-raw` }); // the engine's caches warm for both sides alike
    for (let r = 0; r < ROUNDS; r++) {
      startup.rawDockerRunMs.push(await rawDockerRun(IMAGE, { [PEERS_LABEL]: `${runId}-raw` }));
      startup.pgdockColdWallMs.push((await attach({ PGDOCK_REUSE: 'false', BENCH_RELEASE: '1' })).wallMs);
      startup.pgdockColdAcquireMs.push((await attach({ PGDOCK_REUSE: 'false', BENCH_RELEASE: '1', BENCH_PRELOAD: '1' })).sinceAcquireCallMs);
      await expectContainers(labels.pgdock, 0, 'after a cold start-up');
      await expectContainers(labels.raw, 0, 'after a raw docker run');
    }

    // Warm: each peer's server up first (an untimed run starts it), and left up by every timed run.
    await timeMocha(dirs.pgdock, [], { ...env, PGDOCK_REUSE: 'true' });
    await timeMocha(dirs.testcontainers, [], tcEnv(true));
    await composeProject.up();
    await timeMocha(dirs.compose, [], { ...env, DATABASE_URL: composeProject.url });
    for (let r = 0; r < ROUNDS; r++) {
      for (const [mode, args] of [['warmSerial', []], ['warmParallel', PARALLEL]] as Array<[SuiteMode, string[]]>) {
        for (const peer of PEERS) suite[mode][peer].push(await runPeer(peer, true, args));
      }
      log(`warm round ${r + 1}/${ROUNDS} done (${Math.round((performance.now() - started) / 1000)} s)`);
    }
    // Start-up alone, warm: attach from a fresh process against a bare connect to the same server.
    const { acquireServer } = await import('../../lib/server/acquire-server.js');
    const { connectionUrl } = await import('../../lib/server/server-info.js');
    const server = await acquireServer({ reuse: true });
    const url = connectionUrl({ ...server, password: server.password });
    await server.release();
    for (let r = 0; r < ROUNDS; r++) {
      startup.bareConnectWallMs.push((await timedChild<object>(join(here, 'bare-connect-child.js'), { ...env, BENCH_URL: url })).wallMs);
      startup.pgdockWarmAttachWallMs.push((await attach({ PGDOCK_REUSE: 'true' })).wallMs);
      await expectContainers(labels.pgdock, 1, 'after a warm attach');
      launch.npxMs.push(await timeMochaVersion(dirs.pgdock, true));
      launch.directMs.push(await timeMochaVersion(dirs.pgdock, false));
    }
  } finally {
    await composeProject.down().catch((err: Error) => log(`docker-compose down failed: ${err.message}`));
    for (const label of Object.values(labels)) await removeLabelled(label);
    await removePreparedSince(preparedBefore);
    rmSync(scratch, { recursive: true, force: true });
  }
  for (const label of Object.values(labels)) await expectContainers(label, 0, 'at the end');

  const results: PeersResults = {
    at: new Date().toISOString(),
    image: IMAGE,
    rounds: ROUNDS,
    machine: { cpus: cpus().length, node: process.versions.node },
    versions: { testcontainers: tcVersion, dockerCompose: compose.version },
    given: [
      `Every server: image \`${IMAGE}\`, data folder on tmpfs, \`${SPEED_ARGS.filter((a) => a !== '-c').join(' ')}\` (pgdock's own settings, given to every peer so the comparison is fair).`,
      'Every project: the same 12 spec files × 5 tests, each creating a table, inserting 200 rows, counting, updating, aggregating and dropping it, with the same SQL '
        + '([bench/peers/workload.ts](bench/peers/workload.ts)); pgdock\'s tests use `this.pg.sql` and a table in their own schemas, the peers\' one client from `DATABASE_URL`.',
      'pgdock: this checkout\'s `dist/hooks/register.js` (what `pgdock/register` loads) in `require`, provider docker; cold = `PGDOCK_REUSE=false` (as under `CI`): no server running, its prepared cluster (the image with an initialised data folder it builds once per base image and settings) already built by the untimed first round, as the base image is for every peer; `npm run bench` times that one-off build apart; warm = its server left up by an earlier run.',
      `testcontainers ${tcVersion} (newest to run on Node 20): one \`PostgreSqlContainer\` from a mocha global fixture; Ryuk off (\`TESTCONTAINERS_RYUK_DISABLED=true\`, no registry here); `
        + 'cold = started and stopped by the fixture, warm = `withReuse()` with `TESTCONTAINERS_REUSE_ENABLE=true`.',
      `docker-compose ${compose.version} (Debian's package, v1): one service; cold = \`docker-compose up -d\`, \`mocha\` (a global fixture waits for \`select 1\`), \`docker-compose down\`, all timed; warm = \`mocha\` with the service already up.`,
      `Timed: the wall clock of the whole command from spawn to exit, ${launch.npx ? '`npx mocha`' : 'the project\'s `node_modules/.bin/mocha` (what `npx mocha` runs)'}; `
        + `npx's own start adds ${Math.round(median(launch.npxMs) - median(launch.directMs))} ms to every peer alike${launch.npx ? ' and is included' : ' and is left out (`BENCH_PEERS_NPX=1` includes it)'}. `
        + 'Every run must report 60 passing; the containers each peer owns are counted before and after every run.',
    ],
    suite,
    composeColdParts,
    startup,
    launch,
  };
  const out = join(repo, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'peers.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(out, 'peers.svg'), chartSvg(results));
  const readme = updateReadme(join(repo, 'README.md'), results);
  log(['', suiteTable(results), '', startupTable(results), '', ...results.given.map((g) => `- ${g}`), ''].join('\n'));
  log(`wrote bench/results/peers.json and bench/results/peers.svg${readme ? ', and the README\'s block' : ''} in ${Math.round((performance.now() - started) / 1000)} s; no container left`);
}

await main();
