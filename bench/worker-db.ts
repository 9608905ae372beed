// `npm run bench` (first part): per-worker databases (#8), against same-run baselines.
// 1. What a worker waits for before its files load: attach + clone from the template, against
//    creating a database and running the same setup SQL in it (what a suite does without a template).
// 2. fixtures/existing-suite (40 tests, 8 files): serial on one database vs --parallel with a database per worker.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { acquireServer } from '../lib/server/acquire-server.js';
import { resolveOptions } from '../lib/config/options.js';
import { connectionUrl } from '../lib/server/server-info.js';
import { createWorkerDatabase } from '../lib/isolation/worker-database.js';
import { median, round } from './stats.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const IMAGE = process.env.PGDOCK_IMAGE ?? 'pgdock-local/postgres:15';
const ROUNDS = Number(process.env.BENCH_WORKER_ROUNDS ?? 5);
const CLONES = Number(process.env.BENCH_WORKER_CLONES ?? 20);

const TWENTY_TABLES = Array.from({ length: 20 }, (_, i) =>
  `create table t${i} (id bigserial primary key, name text not null, created timestamptz default now(), data jsonb);\ncreate index on t${i} (name);`).join('\n');

function runMocha(dir: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repo, 'node_modules', 'mocha', 'bin', 'mocha.js'), '--config', 'bench.mocharc.cjs', '--reporter', 'dot', ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`mocha ${args.join(' ')} exited ${code}:\n${out}`))));
  });
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'pgdock-bench-workerdb-'));
  const suite = join(scratch, 'suite');
  cpSync(join(repo, 'fixtures', 'existing-suite'), suite, { recursive: true });
  mkdirSync(join(suite, 'node_modules'));
  symlinkSync(join(repo, 'node_modules', 'postgres'), join(suite, 'node_modules', 'postgres'));
  writeFileSync(join(suite, 'bench.mocharc.cjs'), `module.exports = { require: [${JSON.stringify(join(repo, 'dist', 'hooks', 'register.js'))}], spec: 'test/**/*.spec.js', timeout: 20000 };\n`);
  writeFileSync(join(suite, 'setup.sql'), TWENTY_TABLES);
  const stateDir = join(scratch, 'state');
  const env: NodeJS.ProcessEnv = { ...process.env, PGDOCK_IMAGE: IMAGE, PGDOCK_STATE_DIR: stateDir, PGDOCK_REUSE: 'true' };
  delete env.CI;
  const pgdock = { projectRoot: suite, stateDir, image: IMAGE, reuse: false };
  const server = await acquireServer(pgdock);
  const admin = postgres(connectionUrl({ ...server, password: server.password }), { max: 1, onnotice: () => {} });
  try {
    // 1. Before a worker's files load.
    const withSetup = resolveOptions({ ...pgdock, workerDatabase: true, workerSetup: ['setup.sql'], workerDatabaseName: 'bench_w{worker}' }, {});
    const clone: number[] = [];
    const createAndMigrate: number[] = [];
    for (let i = 0; i < CLONES + 1; i++) {
      let t = performance.now();
      const db = await createWorkerDatabase(withSetup, { jobs: 4, workerId: String(i) });
      const ms = performance.now() - t;
      if (i > 0) clone.push(ms); // the first builds the template
      await admin.unsafe(`drop database ${db.database}`);
      t = performance.now();
      await admin.unsafe(`create database bench_plain owner shop`);
      const plain = postgres(connectionUrl({ ...server, password: server.password, database: 'bench_plain' }), { max: 1, onnotice: () => {} });
      await plain.unsafe(TWENTY_TABLES);
      await plain.end();
      if (i > 0) createAndMigrate.push(performance.now() - t);
      await admin.unsafe('drop database bench_plain');
    }

    // 2. The sample suite, warm server, alternating so drift hits both alike.
    await runMocha(suite, [], env);
    const serial: number[] = [];
    const jobs2: number[] = [];
    const jobs4: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      serial.push(await runMocha(suite, [], env));
      jobs2.push(await runMocha(suite, ['--parallel', '--jobs', '2'], env));
      jobs4.push(await runMocha(suite, ['--parallel', '--jobs', '4'], env));
    }
    const figures = {
      cloneMs: round(median(clone), 1),
      createAndMigrateMs: round(median(createAndMigrate), 1),
      serialMs: round(median(serial)),
      parallel2Ms: round(median(jobs2)),
      parallel4Ms: round(median(jobs4)),
    };
    const lines = [
      `pgdock per-worker databases: medians (ms), image ${IMAGE}, ${server.provider} provider, ${CLONES} clones, ${ROUNDS} rounds of the suite`,
      '',
      '| measure | ms | ratio |',
      '|---|---:|---:|',
      `| worker database ready (attach + clone of a 20-table template) | ${figures.cloneMs} | ${round(figures.cloneMs / figures.createAndMigrateMs, 2)} |`,
      `| baseline: CREATE DATABASE + the same 20 tables | ${figures.createAndMigrateMs} | 1 |`,
      `| fixtures/existing-suite, serial, one database (baseline) | ${figures.serialMs} | 1 |`,
      `| the same, --parallel --jobs 2, a database per worker | ${figures.parallel2Ms} | ${round(figures.parallel2Ms / figures.serialMs, 2)} |`,
      `| the same, --parallel --jobs 4, a database per worker | ${figures.parallel4Ms} | ${round(figures.parallel4Ms / figures.serialMs, 2)} |`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    const out = join(repo, 'bench', 'results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'worker-db.json'), `${JSON.stringify({ image: IMAGE, provider: server.provider, at: new Date().toISOString(), figures, raw: { clone, createAndMigrate, serial, jobs2, jobs4 } }, null, 2)}\n`);
    process.stdout.write('wrote bench/results/worker-db.json\n');
  } finally {
    await admin.end();
    await server.release();
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
