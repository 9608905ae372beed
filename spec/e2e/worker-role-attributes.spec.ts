import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { dropDatabase } from '../../lib/isolation/sql.js';
import { connectionUrl } from '../../lib/server/server-info.js';
import { createNonce } from '../../lib/isolation/names.js';
import { holdServer, type HeldServer } from '../support/held-server.js';
import { SampleProject } from '../support/sample-project.js';
import { removeProjectServers } from '../support/server-watch.js';
import { onlyOn } from '../support/spec-provider.js';

/**
 * A spec file that records what its worker's role may do, through `PG*` as an existing suite reads
 * them: who it is, whether it can create a database (a template that refuses connections, so the
 * sweep must undo both), and read `data_directory` (superusers only).
 */
const RIGHTS_SPEC = `import postgres from 'postgres';
import { writeFileSync } from 'node:fs';
describe('the worker role', function () {
  it('records what it may do', async function () {
    const sql = postgres({ max: 1, onnotice: () => {} });
    const seen = {};
    const attempt = async (what, fn) => {
      try { seen[what] = await fn(); } catch (err) { seen[what] = 'error ' + err.code + ': ' + err.message; }
    };
    try {
      const [me] = await sql\`select current_user as "user", rolsuper, rolcreatedb from pg_roles where rolname = current_user\`;
      seen.me = me;
      await attempt('createDatabase', async () => {
        await sql.unsafe('create database ' + process.env.SUITE_DB + ' is_template true allow_connections false');
        return 'created';
      });
      await attempt('dataDirectory', async () => ((await sql\`select current_setting('data_directory') as d\`)[0].d ? 'read' : 'empty'));
    } finally {
      await sql.end({ timeout: 1 });
    }
    writeFileSync(process.env.SAMPLE_RESULTS + '/rights-' + process.pid + '.json', JSON.stringify(seen));
  });
});
`;

interface Rights {
  me: { user: string; rolsuper: boolean; rolcreatedb: boolean };
  createDatabase: string;
  dataDirectory: string;
}

describe('workerRoleAttributes: the rights a worker role gets besides its own database', function () {
  this.timeout(240_000);
  const tag = createNonce().slice(0, 8);
  const role = `pgdock_ra_${tag}`;
  const made: string[] = [role];
  const databases: string[] = [];
  let project: SampleProject;
  let held: HeldServer;
  let counter = 0;

  before(async function () {
    // Its external cases reach a server of its own through PGDOCK_URL; run on the external server
    // every spec file shares, its worker databases would be counted by the other files' checks.
    onlyOn(this, ['docker', 'embedded'], 'needs a server of its own (its external cases use one through PGDOCK_URL)');
    project = await SampleProject.create({ 'rights.spec.js': RIGHTS_SPEC });
    // The same config as the runs' (workerDatabase sizes max_connections), so that they use this server.
    held = await holdServer(project, { PGDOCK_WORKER_DATABASE: 'true' });
  });

  after(async function () {
    try {
      if (held) {
        // On an external server (the suite's own) roles outlive the server's lease: nothing of this file stays.
        for (const name of databases) await dropDatabase(held.admin, name);
        for (const name of made) {
          const owned = await held.admin<{ datname: string }[]>`select datname from pg_database where datdba = (select oid from pg_roles where rolname = ${name})`;
          for (const { datname } of owned) await dropDatabase(held.admin, datname);
          await held.admin.unsafe(`drop role if exists "${name}"`);
        }
      }
    } finally {
      await held?.release();
      if (project) {
        await removeProjectServers(project.projectKey);
        project.remove();
      }
    }
  });

  const suiteDb = () => `suite_made_${tag}_${++counter}`;
  const exists = async (name: string) => (await held.admin`select 1 from pg_database where datname = ${name}`).length === 1;

  async function runRights(env: Record<string, string>): Promise<{ code: number | null; out: string; rights: Rights | undefined }> {
    project.resetResults();
    const result = await project.mocha([], { PGDOCK_WORKER_DATABASE: 'true', PGDOCK_WORKER_USER: role, ...env }).done;
    const files = project.resultFiles();
    const rights = files.length ? (JSON.parse(readFileSync(join(project.resultsDir, files[0]!), 'utf8')) as Rights) : undefined;
    return { code: result.code, out: result.stdout + result.stderr, rights };
  }

  it('CREATEDB: the suite creates a database, and it is dropped at the end of the run (a template refusing connections included)', async function () {
    const name = suiteDb();
    const run = await runRights({ PGDOCK_WORKER_ROLE_ATTRIBUTES: 'CREATEDB', SUITE_DB: name });
    expect(run.code, run.out).to.equal(0);
    expect(run.rights?.me).to.deep.equal({ user: role, rolsuper: false, rolcreatedb: true });
    expect(run.rights?.createDatabase).to.equal('created');
    expect(run.rights?.dataDirectory, 'CREATEDB is not superuser').to.match(/^error 42501: /);
    expect(await exists(name), 'swept at the end of the run').to.equal(false);
  });

  it('without CREATEDB (taken away again on the reused role) the same suite cannot create one', async function () {
    const name = suiteDb();
    const run = await runRights({ SUITE_DB: name });
    expect(run.code, run.out).to.equal(0);
    expect(run.rights?.me).to.deep.equal({ user: role, rolsuper: false, rolcreatedb: false });
    expect(run.rights?.createDatabase).to.equal('error 42501: permission denied to create database');
    expect(await exists(name)).to.equal(false);
  });

  it('SUPERUSER, named so: the role is a superuser (reads data_directory)', async function () {
    const run = await runRights({ PGDOCK_WORKER_ROLE_ATTRIBUTES: 'SUPERUSER', SUITE_DB: suiteDb() });
    expect(run.code, run.out).to.equal(0);
    expect(run.rights?.me).to.deep.equal({ user: role, rolsuper: true, rolcreatedb: false });
    expect(run.rights?.dataDirectory).to.equal('read');
    expect(run.rights?.createDatabase).to.equal('created');
  });

  it('superuser in other letters, or an unknown attribute: the run stops with the option named, before any spec file loads', async function () {
    const run = await runRights({ PGDOCK_WORKER_ROLE_ATTRIBUTES: 'superuser,CREATEDBS', SUITE_DB: suiteDb() });
    expect(run.code).to.not.equal(0);
    expect(run.out).to.contain('[ERR_PGDOCK_INVALID_OPTION] Expected the `workerRoleAttributes` option to list only CREATEDB, CREATEROLE, REPLICATION, BYPASSRLS, SUPERUSER; ' +
      'got `superuser` (did you mean `SUPERUSER`? superuser rights are given only when asked for by that exact name), `CREATEDBS` (did you mean `CREATEDB`?) (from PGDOCK_WORKER_ROLE_ATTRIBUTES).');
    expect(run.out).to.contain('Hint: Fix PGDOCK_WORKER_ROLE_ATTRIBUTES: any of CREATEDB, CREATEROLE, REPLICATION, BYPASSRLS (in any case), and SUPERUSER written exactly so');
    expect(run.out, 'no stack').to.not.match(/^\s+at /m);
    expect(run.rights, 'no spec file ran').to.equal(undefined);
    const [me] = await held.admin<{ rolsuper: boolean }[]>`select rolsuper from pg_roles where rolname = ${role}`;
    expect(me?.rolsuper, 'the role was not touched').to.equal(true);
  });

  it('the sweep waits while another live run logs in as the role, and never takes a database of another owner', async function () {
    const other = `not_the_suites_${tag}`;
    const fake = `pgdock_wfake_${tag}`;
    databases.push(other, fake);
    await held.admin.unsafe(`create database ${other}`);
    // Another run's worker database, owned by the role and marked with a live owner (this process).
    const mark = JSON.stringify({ pgdock: 1, state: 'claimed', owner: { pid: process.pid, host: hostname(), run: `other-${tag}` }, key: 'empty', pair: 'worker' });
    await held.admin.unsafe(`create database ${fake} owner ${role}`);
    await held.admin.unsafe(`comment on database ${fake} is '${mark}'`);
    const first = suiteDb();
    try {
      const run = await runRights({ PGDOCK_WORKER_ROLE_ATTRIBUTES: 'CREATEDB', SUITE_DB: first });
      expect(run.code, run.out).to.equal(0);
      expect(run.rights?.createDatabase).to.equal('created');
      expect(await exists(first), 'left for the other run, which may have made it').to.equal(true);
    } finally {
      await held.admin.unsafe(`drop database ${fake}`);
    }
    const second = suiteDb();
    const next = await runRights({ PGDOCK_WORKER_ROLE_ATTRIBUTES: 'CREATEDB', SUITE_DB: second });
    expect(next.code, next.out).to.equal(0);
    expect(await exists(first), 'the last run sweeps what earlier ones left').to.equal(false);
    expect(await exists(second)).to.equal(false);
    expect(await exists(other), 'owned by another role').to.equal(true);
    await held.admin.unsafe(`drop database ${other}`);
  });

  describe('on an external server (the held server, reached through PGDOCK_URL)', function () {
    const urlAs = (user: string, password: string) => connectionUrl({ ...held.server, user, password, database: held.server.database });
    const external = (url: string) => ({ PGDOCK_PROVIDER: 'external', PGDOCK_URL: url });

    it('SUPERUSER is refused when the URL\'s role is not a superuser: pgdock gives no right that role lacks', async function () {
      const admin = `pgdock_ra_admin_${tag}`;
      const worker = `pgdock_ra_ext_${tag}`;
      made.push(admin, worker);
      await held.admin.unsafe(`create role ${admin} login createdb createrole password 'not-super'`);
      project.resetResults();
      const result = await project.mocha([], {
        ...external(urlAs(admin, 'not-super')), PGDOCK_WORKER_DATABASE: 'true', PGDOCK_WORKER_USER: worker, PGDOCK_WORKER_ROLE_ATTRIBUTES: 'SUPERUSER,CREATEDB', SUITE_DB: suiteDb(),
      }).done;
      const out = result.stdout + result.stderr;
      expect(result.code).to.not.equal(0);
      expect(out).to.contain(`[ERR_PGDOCK_ROLE_RIGHTS] workerRoleAttributes asks for SUPERUSER for the role ${worker}, and the external server's role ${admin} (from PGDOCK_URL) does not hold it: pgdock gives the suite's role no right the URL's role lacks.`);
      expect(out).to.contain('Hint: Remove SUPERUSER from workerRoleAttributes, connect PGDOCK_URL as a role that holds it (a superuser holds all), or run on a server pgdock starts (PGDOCK_PROVIDER=docker or embedded).');
      expect(out).to.not.contain('not-super');
      expect(out, 'no stack').to.not.match(/^\s+at /m);
      expect(project.resultFiles(), 'no spec file ran').to.deep.equal([]);
      expect((await held.admin`select 1 from pg_roles where rolname = ${worker}`).length, 'no role made').to.equal(0);
    });

    it('a superuser URL gives SUPERUSER to a role pgdock creates, and the databases it makes are swept', async function () {
      const worker = `pgdock_ra_ext_su_${tag}`;
      made.push(worker);
      const name = suiteDb();
      const run = await runRights({ ...external(connectionUrl(held.server)), PGDOCK_WORKER_USER: worker, PGDOCK_WORKER_ROLE_ATTRIBUTES: 'SUPERUSER', SUITE_DB: name });
      expect(run.code, run.out).to.equal(0);
      expect(run.rights?.me).to.deep.equal({ user: worker, rolsuper: true, rolcreatedb: false });
      expect(run.rights?.createDatabase).to.equal('created');
      expect(await exists(name), 'the role is pgdock\'s (marked): its databases are swept there too').to.equal(false);
    });

    it('a role that was there before is left as it is: lacking CREATEDB stops the run; granted by hand, it works and its databases are not swept', async function () {
      const worker = `pgdock_ra_pre_${tag}`;
      made.push(worker);
      await held.admin.unsafe(`create role ${worker} login password 'pre-existing'`);
      const env = { ...external(connectionUrl(held.server)), PGDOCK_WORKER_USER: worker, PGDOCK_WORKER_PASSWORD: 'pre-existing', PGDOCK_WORKER_ROLE_ATTRIBUTES: 'createdb' };
      const refused = await runRights({ ...env, SUITE_DB: suiteDb() });
      expect(refused.code).to.not.equal(0);
      expect(refused.out).to.contain(`[ERR_PGDOCK_ROLE_RIGHTS] The role ${worker} was on the external server before pgdock, which leaves it as it is, and it lacks CREATEDB (asked for by workerRoleAttributes).`);
      expect(refused.out).to.contain(`Hint: Grant it yourself (ALTER ROLE ${worker} CREATEDB), or name a workerUser that does not exist there yet`);
      expect(refused.rights).to.equal(undefined);

      await held.admin.unsafe(`alter role ${worker} createdb`);
      const name = suiteDb();
      const granted = await runRights({ ...env, SUITE_DB: name });
      expect(granted.code, granted.out).to.equal(0);
      expect(granted.rights?.createDatabase).to.equal('created');
      expect(await exists(name), 'a role pgdock did not create may own databases that are not the suite\'s: never swept').to.equal(true);
    });
  });
});
