import { expect } from 'chai';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectionUrl } from '../../lib/server/server-info.js';
import { holdServer, workerDatabases, type HeldServer } from '../support/held-server.js';
import { REPO_ROOT } from '../support/paths.js';
import { SampleProject } from '../support/sample-project.js';
import { projectServers, removeProjectServers } from '../support/server-watch.js';
import { onlyOn } from '../support/spec-provider.js';

/**
 * A root hook plugin the spec adds with `--require`: once per file, what this process sees: its pid
 * and parent, the database its env points at, who it logs in as, and every worker database of the
 * run with the pid that created it (from pgdock's mark). It changes no test count.
 */
const OBSERVER = `'use strict';
const { writeFileSync } = require('node:fs');
const postgres = require('postgres');
exports.mochaHooks = {
  async beforeAll() {
    const suite = postgres({ max: 1, onnotice: () => {} });
    const admin = postgres(process.env.OBSERVE_ADMIN_URL, { max: 1, onnotice: () => {} });
    try {
      const [me] = await suite\`select current_user as "user", current_database() as db,
        (select rolsuper from pg_roles where rolname = current_user) as super,
        (select pg_get_userbyid(datdba) from pg_database where datname = current_database()) as owner\`;
      const dbs = await admin\`select datname as name, shobj_description(oid, 'pg_database') as mark from pg_database
        where shobj_description(oid, 'pg_database') like '%"pair":"worker"%'\`;
      const run = process.env.PGDOCK_RUN_ID;
      const workerDbs = dbs.map((d) => ({ name: d.name, mark: JSON.parse(d.mark) })).filter((d) => d.mark.owner.run === run)
        .map((d) => ({ name: d.name, ownerPid: d.mark.owner.pid }));
      writeFileSync(process.env.OBSERVE_DIR + '/' + process.pid + '-' + Date.now() + '-' + Math.random() + '.json',
        JSON.stringify({ pid: process.pid, ppid: process.ppid, run, env: process.env.PGDATABASE, me, workerDbs }));
      if (process.env.OBSERVE_HANG) await new Promise(() => {});
    } finally {
      await suite.end({ timeout: 1 });
      await admin.end({ timeout: 1 });
    }
  },
};
`;

interface Observation {
  pid: number;
  ppid: number;
  run: string;
  env: string;
  me: { user: string; db: string; super: boolean; owner: string };
  workerDbs: Array<{ name: string; ownerPid: number }>;
}

interface Stats {
  tests: number;
  passes: number;
  failures: number;
  pending: number;
}

interface SuiteRun {
  code: number | null;
  output: string;
  stats: Stats | undefined;
  observations: Observation[];
}

describe('an existing suite on a database per worker (fixtures/existing-suite: PG* read at load, fixed tables)', function () {
  this.timeout(240_000);
  let project: SampleProject;
  let held: HeldServer;
  const observeDir = () => join(project.dir, 'observed-killed');

  before(async function () {
    project = await SampleProject.fromFolder(join(REPO_ROOT, 'fixtures', 'existing-suite'));
    writeFileSync(join(project.dir, 'observe.cjs'), OBSERVER);
    held = await holdServer(project);
  });

  after(async function () {
    await held?.release();
    if (project) {
      await removeProjectServers(project.projectKey);
      project.remove();
    }
  });

  async function runSuite(args: string[], env: Record<string, string> = {}, tag = 'run'): Promise<SuiteRun> {
    const observed = join(project.dir, `observed-${tag}`);
    rmSync(observed, { recursive: true, force: true });
    mkdirSync(observed);
    const report = join(project.dir, `report-${tag}.json`);
    rmSync(report, { force: true });
    const result = await project.mocha(['--require', './observe.cjs', '--reporter', 'json', '--reporter-option', `output=${report}`, ...args], {
      OBSERVE_DIR: observed,
      OBSERVE_ADMIN_URL: connectionUrl(held.server),
      ...env,
    }).done;
    let stats: Stats | undefined;
    let reported = '';
    try {
      reported = readFileSync(report, 'utf8');
      stats = (JSON.parse(reported) as { stats: Stats }).stats;
    } catch {
      stats = undefined;
    }
    const observations = readdirSync(observed).map((f) => JSON.parse(readFileSync(join(observed, f), 'utf8')) as Observation);
    // The JSON reporter writes failures (and their messages) to its file, not to the terminal.
    const failures = stats ? (JSON.parse(reported) as { failures: Array<{ fullTitle: string; err: { message?: string } }> }).failures.map((f) => `${f.fullTitle}: ${f.err.message ?? ''}`) : [];
    return { code: result.code, output: [result.stdout, result.stderr, ...failures].join('\n'), stats, observations };
  }

  const counts = (stats: Stats | undefined) => stats && { tests: stats.tests, passes: stats.passes, failures: stats.failures, pending: stats.pending };

  it('fails under --parallel --jobs 4 when every worker shares one database (the problem this solves)', async function () {
    await held.admin.unsafe('drop database if exists shop_shared');
    await held.admin.unsafe('create database shop_shared');
    try {
      const shared = { PGDOCK_WORKER_DATABASE: 'false', PGHOST: held.server.host, PGPORT: String(held.server.port), PGUSER: held.server.user, PGPASSWORD: held.server.password, PGDATABASE: 'shop_shared' };
      const result = await runSuite(['--parallel', '--jobs', '4'], shared);
      expect(result.code, result.output).to.not.equal(0);
      expect(result.stats?.failures, 'files drop and refill each other\'s tables').to.be.greaterThan(0);
      expect(new Set(result.observations.map((o) => o.env))).to.deep.equal(new Set(['shop_shared']));
    } finally {
      await held.admin.unsafe('drop database if exists shop_shared with (force)');
    }
  });

  let serial: Stats | undefined;

  it('passes serially on one database of its own, made before the files load and dropped at the end', async function () {
    const result = await runSuite([]);
    expect(result.code, result.output).to.equal(0);
    serial = counts(result.stats);
    expect(serial).to.deep.equal({ tests: 40, passes: 40, failures: 0, pending: 0 });
    const pids = new Set(result.observations.map((o) => o.pid));
    expect(pids.size, 'one process').to.equal(1);
    const [seen] = result.observations;
    expect(seen!.workerDbs, 'one database, made by the serial process itself').to.deep.equal([{ name: seen!.env, ownerPid: seen!.pid }]);
    expect(seen!.me).to.deep.equal({ user: 'shop', db: seen!.env, super: false, owner: 'shop' });
    expect(await workerDatabases(held.admin), 'dropped at the end').to.deep.equal([]);
  });

  it('passes three times in a row under --parallel --jobs 4 with the serial counts: one database per worker, made by the workers, none left', async function () {
    expect(serial, 'the serial run above').to.not.equal(undefined);
    for (let round = 1; round <= 3; round++) {
      const result = await runSuite(['--parallel', '--jobs', '4']);
      expect(result.code, `round ${round}: ${result.output}`).to.equal(0);
      expect(counts(result.stats), `round ${round}`).to.deep.equal(serial);

      const main = new Set(result.observations.map((o) => o.ppid));
      expect(main.size, 'every worker has the same parent').to.equal(1);
      const [mainPid] = [...main];
      const dbByPid = new Map<number, Set<string>>();
      for (const o of result.observations) dbByPid.set(o.pid, (dbByPid.get(o.pid) ?? new Set()).add(o.env));
      expect(dbByPid.size, 'several workers ran files').to.be.greaterThan(1);
      const names = [...dbByPid.values()].map((s) => [...s]);
      expect(names.every((n) => n.length === 1), 'a worker keeps one database for all its files').to.equal(true);
      expect(new Set(names.flat()).size, 'no two workers share one').to.equal(dbByPid.size);
      for (const o of result.observations) {
        expect(o.me).to.deep.equal({ user: 'shop', db: o.env, super: false, owner: 'shop' });
        for (const db of o.workerDbs) {
          expect(db.ownerPid, `${db.name} made by mocha's main process`).to.not.equal(mainPid);
          // A worker that got no file is not observed, and one still making its database shows it under
          // its temporary name (pgdock_wtmp_<pid>_…); the others made the database they used.
          if (dbByPid.has(db.ownerPid) && !db.name.startsWith('pgdock_wtmp_')) expect(dbByPid.get(db.ownerPid)!.has(db.name), `${db.name} made by the worker that used it`).to.equal(true);
        }
      }
      expect(await workerDatabases(held.admin), `round ${round}: none left`).to.deep.equal([]);
    }
  });

  it('two runs at once, each --parallel --jobs 2: both pass all 40, on databases of their own; none left', async function () {
    const [a, b] = await Promise.all([runSuite(['--parallel', '--jobs', '2'], {}, 'a'), runSuite(['--parallel', '--jobs', '2'], {}, 'b')]);
    for (const r of [a, b]) {
      expect(r.code, r.output).to.equal(0);
      expect(counts(r.stats)).to.deep.equal({ tests: 40, passes: 40, failures: 0, pending: 0 });
    }
    const names = (r: SuiteRun) => new Set(r.observations.map((o) => o.env));
    const overlap = [...names(a)].filter((n) => names(b).has(n));
    expect(overlap, 'no database used by both runs').to.deep.equal([]);
    expect(await workerDatabases(held.admin)).to.deep.equal([]);
  });

  it('a worker killed mid-run: the others finish, its database goes with the run', async function () {
    const crash = join(project.dir, 'test', 'zz-crash.spec.js');
    writeFileSync(crash, `'use strict';\ndescribe('crash', () => { it('kills its own worker', () => { process.kill(process.pid, 'SIGKILL'); }); });\n`);
    try {
      const result = await runSuite(['--parallel', '--jobs', '3']);
      expect(result.code, 'the crash fails the run').to.not.equal(0);
      expect(result.stats?.passes, `the other files' tests pass: ${result.output}`).to.equal(40);
      const made = new Set(result.observations.flatMap((o) => o.workerDbs.map((d) => d.name)).filter((n) => !n.startsWith('pgdock_wtmp_')));
      expect(made.size, 'workers had databases').to.be.greaterThan(1);
      expect(await workerDatabases(held.admin), 'none left, the dead worker\'s included').to.deep.equal([]);
    } finally {
      rmSync(crash, { force: true });
    }
  });

  it('a run killed mid-way leaves its worker databases; the next run sweeps them', async function () {
    rmSync(observeDir(), { recursive: true, force: true });
    mkdirSync(observeDir());
    const killed = project.mocha(['--require', './observe.cjs', '--parallel', '--jobs', '2'], {
      OBSERVE_DIR: observeDir(),
      OBSERVE_ADMIN_URL: connectionUrl(held.server),
      OBSERVE_HANG: '1',
    });
    const deadline = Date.now() + 60_000;
    let seen: Observation[] = [];
    while (seen.length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      seen = readdirSync(observeDir()).map((f) => JSON.parse(readFileSync(join(observeDir(), f), 'utf8')) as Observation);
    }
    expect(seen, 'two workers started').to.have.length(2);
    for (const pid of [seen[0]!.ppid, ...seen.map((o) => o.pid)]) process.kill(pid, 'SIGKILL');
    await killed.done;
    const left = seen.map((o) => o.env).sort();
    expect(await workerDatabases(held.admin), 'the killed run could not clean up').to.deep.equal(left);

    const next = await runSuite(['--parallel', '--jobs', '2']);
    expect(next.code, next.output).to.equal(0);
    const during = new Set(next.observations.flatMap((o) => o.workerDbs.map((d) => d.name)));
    for (const name of left) expect(during.has(name)).to.equal(false);
    expect(await workerDatabases(held.admin)).to.deep.equal([]);
  });

  it('keepOnFailure keeps a failing worker\'s database, says how to get in (no password), and drops the others', async function () {
    const broken = join(project.dir, 'test', 'zz-broken.spec.js');
    writeFileSync(broken, `'use strict';\nconst assert = require('node:assert');\ndescribe('broken', () => { it('fails on purpose', () => assert.fail('on purpose')); });\n`);
    try {
      const result = await runSuite([], { PGDOCK_KEEP_ON_FAILURE: 'true' });
      expect(result.code, result.output).to.not.equal(0);
      expect(counts(result.stats)).to.deep.equal({ tests: 41, passes: 40, failures: 1, pending: 0 });
      const [seen] = result.observations;
      expect(result.output).to.match(new RegExp(`pgdock kept this worker's database ${seen!.env} \\(a test failed\\) until .*\\n  psql -h \\S+ -p \\d+ -U shop ${seen!.env}`));
      expect(result.output).to.not.contain(held.server.password);
      expect(await workerDatabases(held.admin)).to.deep.equal([seen!.env]);
    } finally {
      rmSync(broken, { force: true });
      for (const name of await workerDatabases(held.admin)) await held.admin.unsafe(`drop database ${name} with (force)`);
    }
  });

  it('refuses up front when the server cannot hold jobs × the pool (ERR_PGDOCK_CONNECTION_BUDGET): no spec file loads', async function () {
    // max_connections=20 on a server pgdock starts; an external one has its own (300 in CI), which even one worker × 304 exceeds.
    const result = await runSuite(['--parallel', '--jobs', '4'], { PGDOCK_POSTGRES_ARGS: '-c max_connections=20', PGDOCK_WORKER_POOL_SIZE: '300' });
    expect(result.code).to.not.equal(0);
    expect(result.output).to.contain('[ERR_PGDOCK_CONNECTION_BUDGET]');
    expect(result.output).to.match(/4 worker\(s\) × \(pool of 300 \+ 4 for pgdock\) need 1216/);
    expect(result.output).to.contain('Hint: Lower --jobs, or set workerPoolSize');
    expect(result.output, 'no stack from inside a dependency').to.not.match(/node_modules\/(postgres|workerpool)/);
    expect(result.observations, 'no file ran').to.have.length(0);
    expect(await workerDatabases(held.admin)).to.deep.equal([]);

    const serialRun = await runSuite([], { PGDOCK_POSTGRES_ARGS: '-c max_connections=20', PGDOCK_WORKER_POOL_SIZE: '300' });
    expect(serialRun.code).to.not.equal(0);
    expect(serialRun.output).to.match(/\[ERR_PGDOCK_CONNECTION_BUDGET\] [^\n]*1 worker\(s\) × \(pool of 300 \+ 4 for pgdock\) need 304/);
    expect(serialRun.observations).to.have.length(0);
    expect((await projectServers(project.projectKey)).map((s) => s.id), 'the failed runs left no server (mocha skips its global teardown after a failed require)')
      .to.deep.equal([held.server.containerId ?? String(held.server.pid ?? 'external')].filter((id) => id !== 'external'));
  });
});

/** A spec file reading the exported names when it loads and recording what its worker's database holds. */
function settingsSpec(name: string): string {
  return `import postgres from 'postgres';
import { writeFileSync } from 'node:fs';
const url = process.env.APP_URL;
const database = process.env.APP_DB;
describe('settings ${name}', function () {
  it('${name} reads the template\\'s rows', async function () {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    const rows = await sql\`select name, value from settings order by name\`;
    await sql.end();
    writeFileSync(process.env.SAMPLE_RESULTS + '/${name}-' + process.pid + '.json', JSON.stringify({ pid: process.pid, database, pgdatabase: process.env.PGDATABASE, settings: Object.fromEntries(rows.map((r) => [r.name, r.value])) }));
  });
});
`;
}

describe('per-worker databases: template from setup files and a module, mapped names, connection limits', function () {
  this.timeout(180_000);
  let project: SampleProject | undefined;

  afterEach(async function () {
    if (!project) return;
    await removeProjectServers(project.projectKey);
    project.remove();
    project = undefined;
  });

  it('builds the template once per setup (files in order, then the module), clones it per worker, and exports the mapped names', async function () {
    project = await SampleProject.create({ 'a.spec.js': settingsSpec('a'), 'b.spec.js': settingsSpec('b'), 'c.spec.js': settingsSpec('c') });
    mkdirSync(join(project.dir, 'db', 'seed'), { recursive: true });
    writeFileSync(join(project.dir, 'db', 'schema.sql'), 'create table settings (name text primary key, value text not null);\n');
    writeFileSync(join(project.dir, 'db', 'seed', '02-more.sql'), "update settings set value = value || '!' where name = 'colour';\n");
    writeFileSync(join(project.dir, 'db', 'seed', '01-colour.sql'), "insert into settings values ('colour', 'blue');\n");
    writeFileSync(join(project.dir, 'db', 'migrate.mjs'), "export default async ({ sql, env }) => { await sql`insert into settings values ('built in', ${env.PGDATABASE})`; };\n");
    const env = {
      PGDOCK_WORKER_DATABASE: 'true',
      PGDOCK_WORKER_SETUP: 'db/schema.sql, db/seed',
      PGDOCK_WORKER_SETUP_MODULE: 'db/migrate.mjs',
      PGDOCK_WORKER_ENV: 'APP_DB=database,APP_URL=url',
      PGDOCK_REUSE: 'true',
      DEBUG: 'pgdock:worker-db',
    };
    const builds = (out: string) => (out.match(/pgdock:worker-db \[\d+\] building template/g) ?? []).length;
    type Seen = { pid: number; database: string; pgdatabase: string; settings: Record<string, string> };
    const seen = () => project!.resultFiles().map((f) => JSON.parse(readFileSync(join(project!.resultsDir, f), 'utf8')) as Seen);

    const first = await project.mocha(['--parallel', '--jobs', '3'], env).done;
    expect(first.code, first.stdout + first.stderr).to.equal(0);
    expect(builds(first.stderr), 'built by one worker').to.equal(1);
    const firstSeen = seen();
    expect(firstSeen).to.have.length(3);
    for (const s of firstSeen) {
      expect(s.database, 'APP_DB holds what PGDATABASE holds').to.equal(s.pgdatabase);
      expect(s.settings.colour, 'setup files ran, a folder\'s in name order').to.equal('blue!');
      expect(s.settings['built in']).to.match(/^pgdock_wtpl_[0-9a-f]{16}_building$/);
    }
    expect(new Set(firstSeen.map((s) => s.database)).size, 'a database per worker').to.equal(new Set(firstSeen.map((s) => s.pid)).size);

    project.resetResults();
    const again = await project.mocha(['--parallel', '--jobs', '3'], env).done;
    expect(again.code, again.stdout + again.stderr).to.equal(0);
    expect(builds(again.stderr), 'same setup, same server: the template is reused').to.equal(0);

    writeFileSync(join(project.dir, 'db', 'seed', '01-colour.sql'), "insert into settings values ('colour', 'green');\n");
    project.resetResults();
    const changed = await project.mocha(['--parallel', '--jobs', '3'], env).done;
    expect(changed.code, changed.stdout + changed.stderr).to.equal(0);
    expect(builds(changed.stderr), 'changed setup: a new template').to.equal(1);
    expect(seen().map((s) => s.settings.colour)).to.deep.equal(['green!', 'green!', 'green!']);
    for (const out of [first, again, changed]) expect(out.stdout + out.stderr).to.not.match(/postgres:\/\/[^:\s]+:[^*\s]/);
  });

  it('a failing setup is tried once and fails every worker with the same message, naming the file; no spec file loads', async function () {
    project = await SampleProject.create({ 'a.spec.js': settingsSpec('a'), 'b.spec.js': settingsSpec('b'), 'c.spec.js': settingsSpec('c'), 'd.spec.js': settingsSpec('d') });
    writeFileSync(join(project.dir, 'broken.sql'), 'create table settings (name text primary key;\n');
    const result = await project.mocha(['--parallel', '--jobs', '2'], { PGDOCK_WORKER_DATABASE: 'true', PGDOCK_WORKER_SETUP: 'broken.sql', DEBUG: 'pgdock:worker-db' }).done;
    const out = result.stdout + result.stderr;
    expect(result.code).to.not.equal(0);
    expect(out.match(/pgdock:worker-db \[\d+\] building template/g), 'tried once; the other worker gets the recorded error').to.have.length(1);
    expect(out).to.match(/\[ERR_PGDOCK_PREPARE_FAILED\] Building the worker databases' template failed in broken\.sql: syntax error/);
    expect(out).to.contain('Hint: Fix the setup');
    expect(project.resultFiles()).to.have.length(0);
  });

  it('asked for but misconfigured: the run stops with the option named, before any spec file reads PG*', async function () {
    project = await SampleProject.create({ 'a.spec.js': settingsSpec('a') });
    writeFileSync(join(project.dir, 'package.json'), JSON.stringify({ name: 'sample', private: true, type: 'module', pgdock: { workerDatabase: true, workerDatabaseName: 'Shop-Test' } }));
    const result = await project.mocha([]).done;
    const out = result.stdout + result.stderr;
    expect(result.code).to.not.equal(0);
    expect(out).to.contain('[ERR_PGDOCK_INVALID_OPTION] Expected the `workerDatabaseName` option to be a lower-case Postgres name');
    expect(out).to.not.match(/^\s+at /m);
    expect(project.resultFiles()).to.have.length(0);
  });

  it('running out of connections at run time is explained: the fix is named', async function () {
    onlyOn(this, ['docker', 'embedded'], 'an external server\'s max_connections is not pgdock\'s to set');
    project = await SampleProject.create({
      'greedy.spec.js': `import postgres from 'postgres';
describe('greedy', function () {
  it('opens more connections than it said it would', async function () {
    const clients = Array.from({ length: 25 }, () => postgres({ max: 1, onnotice: () => {} }));
    try {
      await Promise.all(clients.map((c) => c\`select pg_sleep(0.5)\`));
    } finally {
      await Promise.all(clients.map((c) => c.end({ timeout: 1 })));
    }
  });
});
`,
    });
    const result = await project.mocha([], { PGDOCK_WORKER_DATABASE: 'true', PGDOCK_WORKER_POOL_SIZE: '2', PGDOCK_POSTGRES_ARGS: '-c max_connections=20' }).done;
    const out = result.stdout + result.stderr;
    expect(result.code, out).to.not.equal(0);
    expect(out).to.contain('too many clients');
    expect(out).to.contain('pgdock: the server ran out of connections (SQLSTATE 53300)');
    expect(out).to.contain('Set workerPoolSize (PGDOCK_WORKER_POOL_SIZE) to the most connections one worker of this suite opens at once, or lower --jobs.');
  });
});
