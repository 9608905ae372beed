import { expect } from 'chai';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { dropDatabase } from '../../lib/isolation/sql.js';
import { listMarked } from '../../lib/isolation/marks.js';
import { createNonce } from '../../lib/isolation/names.js';
import { connectionUrl } from '../../lib/server/server-info.js';
import { holdServer, workerDatabases, type HeldServer } from '../support/held-server.js';
import { REPO_ROOT } from '../support/paths.js';
import { SampleProject } from '../support/sample-project.js';
import { removeProjectServers } from '../support/server-watch.js';
import { onlyOn, specProvider } from '../support/spec-provider.js';

const FAULTS = join(REPO_ROOT, 'fixtures', 'faults');

interface Stats {
  tests: number;
  passes: number;
  failures: number;
}

interface SuiteRun {
  code: number | null;
  output: string;
  stats: Stats | undefined;
}

/** What fixtures/faults/zz-damage.spec.js did. */
interface DamageReport {
  database: string;
  holders: Array<{ pid: number; backend: number }>;
  pair?: [string, string];
}

/** A process that outlives the run it was started from: killed by the spec that made it. */
function killHolder(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

describe('sweeps: whatever a suite did to its own worker database or schema pair, the next run drops it and passes (fixtures/existing-suite)', function () {
  this.timeout(240_000);
  let project: SampleProject;
  let held: HeldServer;
  const holders: number[] = [];
  const role = `pgdock_sweeps_${createNonce().slice(0, 8)}`;
  // A server that allows prepared transactions, so a suite can leave one behind (external: the server's own settings).
  const serverEnv = (): Record<string, string> => (specProvider() === 'external' ? {} : { PGDOCK_POSTGRES_ARGS: '-c max_prepared_transactions=4' });

  before(async function () {
    project = await SampleProject.fromFolder(join(REPO_ROOT, 'fixtures', 'existing-suite'));
    mkdirSync(join(project.dir, 'faults'));
    for (const file of ['damage.cjs', 'hold-connection.cjs']) copyFileSync(join(FAULTS, file), join(project.dir, 'faults', file));
    held = await holdServer(project, serverEnv());
  });

  after(async function () {
    for (const pid of holders) killHolder(pid);
    if (held) {
      // Only after a failed case (an external server keeps what is left): what this file's runs made.
      for (const name of await workerDatabases(held.admin)) await dropDatabase(held.admin, name).catch(() => {});
      await held.admin.unsafe(`drop owned by ${role}; drop role ${role}`).catch(() => {});
      await held.release();
    }
    if (project) {
      await removeProjectServers(project.projectKey);
      project.remove();
    }
  });

  /** One mocha run of the project (its own reporter file); a run that hangs is killed after `deadlineMs` and says so. */
  async function runSuite(args: string[], env: Record<string, string> = {}, deadlineMs = 90_000): Promise<SuiteRun> {
    const report = join(project.dir, `report-${createNonce()}.json`);
    const run = project.mocha(['--reporter', 'json', '--reporter-option', `output=${report}`, ...args], { ...serverEnv(), ...env });
    const timer = setTimeout(() => run.child.kill('SIGKILL'), deadlineMs);
    const result = await run.done;
    clearTimeout(timer);
    let stats: Stats | undefined;
    let failures: string[] = [];
    try {
      const json = JSON.parse(readFileSync(report, 'utf8')) as { stats: Stats; failures: Array<{ fullTitle: string; err: { message?: string } }> };
      stats = json.stats;
      failures = json.failures.map((f) => `${f.fullTitle}: ${f.err.message ?? ''}`);
    } catch {
      stats = undefined;
    }
    rmSync(report, { force: true });
    const hung = result.signal === 'SIGKILL' ? [`(killed after ${deadlineMs} ms: the run hung)`] : [];
    return { code: result.code, output: [...hung, result.stdout, result.stderr, ...failures].join('\n'), stats };
  }

  /** A serial run with fixtures/faults/zz-damage.spec.js added (it runs last); `kill` ends it without a teardown. */
  async function damageRun(damage: string[], kill: boolean): Promise<{ run: SuiteRun; report: DamageReport }> {
    const file = join(project.dir, 'test', 'zz-damage.spec.js');
    const reportFile = join(project.dir, 'damage.json');
    copyFileSync(join(FAULTS, 'zz-damage.spec.js'), file);
    rmSync(reportFile, { force: true });
    try {
      const run = await runSuite([], {
        DAMAGE: damage.join(','),
        DAMAGE_REPORT: reportFile,
        DAMAGE_MAINTENANCE_DB: held.server.database,
        DAMAGE_ROLE: role,
        ...(kill ? { DAMAGE_KILL: '1' } : {}),
      });
      let report: DamageReport;
      try {
        report = JSON.parse(readFileSync(reportFile, 'utf8')) as DamageReport;
      } catch {
        throw new Error(`the damaging run reported nothing:\n${run.output}`);
      }
      holders.push(...report.holders.map((h) => h.pid));
      return { run, report };
    } finally {
      rmSync(file, { force: true });
    }
  }

  async function databaseFlags(name: string): Promise<{ template: boolean; allow: boolean; limit: number } | undefined> {
    const [row] = await held.admin<{ template: boolean; allow: boolean; limit: number }[]>`
      select datistemplate as template, datallowconn as allow, datconnlimit as limit from pg_database where datname = ${name}`;
    return row;
  }

  async function liveBackends(pids: number[]): Promise<number[]> {
    if (!pids.length) return [];
    const rows = await held.admin<{ pid: number }[]>`select pid from pg_stat_activity where pid in ${held.admin(pids)}`;
    return rows.map((r) => r.pid);
  }

  const green = { tests: 40, passes: 40, failures: 0 };
  const counts = (stats: Stats | undefined) => stats && { tests: stats.tests, passes: stats.passes, failures: stats.failures };

  const cases: Array<{ damage: string; what: string; left: (flags: NonNullable<Awaited<ReturnType<typeof databaseFlags>>>) => boolean; next: string[] }> = [
    { damage: 'template', what: 'ALTER DATABASE <its own> IS_TEMPLATE true', left: (f) => f.template, next: ['--parallel', '--jobs', '2'] },
    { damage: 'no-connections', what: 'ALTER DATABASE <its own> ALLOW_CONNECTIONS false (from another database)', left: (f) => !f.allow, next: [] },
    { damage: 'connection-limit', what: 'ALTER DATABASE <its own> CONNECTION LIMIT 0', left: (f) => f.limit === 0, next: [] },
    { damage: 'held-connection', what: 'a connection to it held by another process that outlives the run', left: () => true, next: [] },
  ];

  for (const c of cases) {
    it(`${c.what}, then the run is killed: the next run (${c.next.join(' ') || 'serial'}) sweeps the database and passes all 40`, async function () {
      const { report } = await damageRun([c.damage], true);
      const flags = await databaseFlags(report.database);
      expect(flags, 'the killed run left its database').to.not.equal(undefined);
      expect(c.left(flags!), `the damage is there: ${JSON.stringify(flags)}`).to.equal(true);
      expect(await liveBackends(report.holders.map((h) => h.backend))).to.have.length(report.holders.length);

      const next = await runSuite(c.next, { DEBUG: 'pgdock:*' });
      expect(next.code, next.output).to.equal(0);
      expect(counts(next.stats)).to.deep.equal(green);
      expect(await databaseFlags(report.database), 'swept').to.equal(undefined);
      expect(await liveBackends(report.holders.map((h) => h.backend)), 'the other process\'s session ended with the database').to.deep.equal([]);
      expect(await workerDatabases(held.admin), 'none left').to.deep.equal([]);
    });
  }

  it('all of it at once (IS_TEMPLATE, ALLOW_CONNECTIONS false, CONNECTION LIMIT 0, a held connection) in a run that ends normally: the run passes and its own teardown drops the database', async function () {
    const { run, report } = await damageRun(['held-connection', 'template', 'connection-limit', 'no-connections'], false);
    expect(run.code, run.output).to.equal(0);
    expect(counts(run.stats)).to.deep.equal({ tests: 41, passes: 41, failures: 0 });
    expect(await databaseFlags(report.database), 'dropped by the run itself').to.equal(undefined);
    expect(await liveBackends(report.holders.map((h) => h.backend))).to.deep.equal([]);
    expect(await workerDatabases(held.admin)).to.deep.equal([]);
  });

  it('a schema pair holding tables of the suite\'s role and of a role the test made, one schema handed to that role, a lock held by another process; run killed: the next run drops both schemas and passes', async function () {
    const { report } = await damageRun(['foreign-owned-schema'], true);
    const pair = report.pair!;
    const marked = async () => (await listMarked(held.admin, 'schema')).map((s) => s.name).filter((n) => pair.includes(n)).sort();
    expect(await marked(), 'the killed run left its pair').to.deep.equal([...pair].sort());
    const owners = await held.admin<{ owner: string }[]>`select distinct pg_get_userbyid(relowner) as owner from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname in ${held.admin(pair)}`;
    expect(owners.map((o) => o.owner).sort()).to.deep.equal([role, 'shop'].sort());

    const next = await runSuite([], {}, 60_000);
    expect(next.code, next.output).to.equal(0);
    expect(counts(next.stats)).to.deep.equal(green);
    expect(await marked(), 'swept').to.deep.equal([]);
    expect(await liveBackends(report.holders.map((h) => h.backend)), 'the lock holder\'s session was ended').to.deep.equal([]);
    await held.admin.unsafe(`drop role ${role}`);
  });

  it('a database no sweep can drop (a prepared transaction in it: Postgres refuses even WITH (FORCE)) is logged and left; another leftover is swept and the next run passes', async function () {
    onlyOn(this, ['docker', 'embedded'], 'needs max_prepared_transactions > 0, a server setting pgdock does not own there');
    const stuck = (await damageRun(['prepared-transaction'], true)).report.database;
    const template = (await damageRun(['template'], true)).report.database;
    try {
      const next = await runSuite([], { DEBUG: 'pgdock:*' });
      expect(next.code, next.output).to.equal(0);
      expect(counts(next.stats)).to.deep.equal(green);
      expect(await databaseFlags(template), 'the other leftover was swept').to.equal(undefined);
      expect(await workerDatabases(held.admin), 'the stuck one is left').to.deep.equal([stuck]);
      expect(next.output).to.match(new RegExp(`pgdock:[a-z-]+ \\[\\d+\\] could not drop database ${stuck} \\(left for a later sweep\\): .*prepared transaction`));
      expect(next.output).to.not.contain(held.server.password);
    } finally {
      // Only in the database it was prepared in; then the database can go.
      const inside = postgres(connectionUrl({ ...held.server, database: stuck }), { max: 1, onnotice: () => {} });
      await inside.unsafe(`rollback prepared 'sweeps_${stuck}'`).finally(() => inside.end({ timeout: 1 }));
      await held.admin.unsafe(`drop database ${stuck} with (force)`);
    }
  });
});

/** A test of `isolation: 'database'` that only uses its own database. */
const ORDINARY_SPEC = `describe('an ordinary test', function () {
  it('uses its own database', async function () {
    await this.pg.sql.unsafe('create table t (id int); insert into t values (1)');
  });
});
`;

describe('sweeps: a test that damaged its own database (isolation: \'database\') does not leave it behind', function () {
  this.timeout(180_000);
  let project: SampleProject;
  let held: HeldServer;
  const holders: number[] = [];
  const env = { PGDOCK_ISOLATION: 'database', PGDOCK_POOL_SIZE: '2' };

  before(async function () {
    project = await SampleProject.create({ 'ordinary.spec.js': ORDINARY_SPEC });
    mkdirSync(join(project.dir, 'faults'));
    for (const file of ['damage.cjs', 'hold-connection.cjs']) copyFileSync(join(FAULTS, file), join(project.dir, 'faults', file));
    held = await holdServer(project);
  });

  after(async function () {
    for (const pid of holders) killHolder(pid);
    await held?.release();
    if (project) {
      await removeProjectServers(project.projectKey);
      project.remove();
    }
  });

  /** Test databases and pool clones on the server (templates stay by design). */
  async function testDatabases(): Promise<string[]> {
    const rows = await held.admin<{ name: string }[]>`select datname as name from pg_database where datname like 'pgdock\\_t\\_%' or datname like 'pgdock\\_pool\\_%' order by 1`;
    return rows.map((r) => r.name);
  }

  async function damagingRun(kill: boolean): Promise<{ code: number | null; output: string; report: DamageReport }> {
    const file = join(project.dir, 'spec', 'damage.spec.js');
    const reportFile = join(project.dir, 'damage.json');
    copyFileSync(join(FAULTS, 'damage-test-database.spec.js'), file);
    rmSync(reportFile, { force: true });
    try {
      const run = await project.mocha([], { ...env, DAMAGE_REPORT: reportFile, DAMAGE_MAINTENANCE_DB: held.server.database, ...(kill ? { DAMAGE_KILL: '1' } : {}) }).done;
      const output = run.stdout + run.stderr;
      let report: DamageReport;
      try {
        report = JSON.parse(readFileSync(reportFile, 'utf8')) as DamageReport;
      } catch {
        throw new Error(`the damaging run reported nothing:\n${output}`);
      }
      holders.push(...report.holders.map((h) => h.pid));
      return { code: run.code, output, report };
    } finally {
      rmSync(file, { force: true });
    }
  }

  it('IS_TEMPLATE, ALLOW_CONNECTIONS false, CONNECTION LIMIT 0 and a held connection: dropped when the test ends; in a killed run, by the next run\'s start-up sweep', async function () {
    const ended = await damagingRun(false);
    expect(ended.code, ended.output).to.equal(0);
    expect(await testDatabases(), 'dropped after the test (or by the run\'s end)').to.deep.equal([]);

    const killed = await damagingRun(true);
    expect(await testDatabases(), 'the killed run left its test database').to.include(killed.report.database);
    const next = await project.mocha([], { ...env, DEBUG: 'pgdock:*' }).done;
    expect(next.code, next.stdout + next.stderr).to.equal(0);
    expect(await testDatabases(), 'swept').to.deep.equal([]);
    const sessions = await held.admin<{ pid: number }[]>`select pid from pg_stat_activity where pid in ${held.admin([...ended.report.holders, ...killed.report.holders].map((h) => h.backend))}`;
    expect(sessions, 'the other process\'s sessions ended with the databases').to.deep.equal([]);
  });
});
