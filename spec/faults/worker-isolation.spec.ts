import { expect } from 'chai';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { dropDatabase } from '../../lib/isolation/sql.js';
import { createNonce } from '../../lib/isolation/names.js';
import { holdServer, type HeldServer } from '../support/held-server.js';
import { REPO_ROOT } from '../support/paths.js';
import { SampleProject } from '../support/sample-project.js';
import { removeProjectServers } from '../support/server-watch.js';

const FAULTS = join(REPO_ROOT, 'fixtures', 'faults');

/** What fixtures/faults/zz-isolation.spec.js recorded. */
interface Intrusion {
  user: string;
  attempts: Record<string, string>;
}

/** A test (isolation: 'database') that lets a role it makes try its own database. */
const STRANGER_SPEC = `import postgres from 'postgres';
import { writeFileSync } from 'node:fs';
describe('a stranger', function () {
  it('cannot connect to this test\\'s database', async function () {
    const role = process.env.STRANGER_ROLE;
    await this.pg.sql.unsafe(\`create role \${role} login password 'stranger'\`);
    const url = new URL(this.pg.url);
    url.username = role;
    url.password = 'stranger';
    const stranger = postgres(url.toString(), { max: 1, onnotice: () => {} });
    let outcome = 'connected';
    try {
      await stranger\`select 1\`;
    } catch (err) {
      outcome = err.code + ': ' + err.message;
    } finally {
      await stranger.end({ timeout: 1 });
      await this.pg.sql.unsafe(\`drop role \${role}\`);
    }
    writeFileSync(process.env.SAMPLE_RESULTS + '/stranger.json', JSON.stringify({ database: this.pg.database, outcome }));
  });
});
`;

describe('worker databases are private to their owner: another role cannot connect to them', function () {
  this.timeout(180_000);
  const roles = { victim: `pgdock_iso_v_${createNonce().slice(0, 8)}`, intruder: `pgdock_iso_i_${createNonce().slice(0, 8)}` };
  let project: SampleProject;
  let held: HeldServer;

  before(async function () {
    project = await SampleProject.fromFolder(join(REPO_ROOT, 'fixtures', 'existing-suite'));
    mkdirSync(join(project.dir, 'faults'));
    copyFileSync(join(FAULTS, 'ledger.sql'), join(project.dir, 'faults', 'ledger.sql'));
    copyFileSync(join(FAULTS, 'zz-isolation.spec.js'), join(project.dir, 'test', 'zz-isolation.spec.js'));
    held = await holdServer(project);
  });

  after(async function () {
    if (held) {
      // Templates stay on an external server by design; these two roles' go, then the roles.
      const owned = await held.admin<{ name: string }[]>`select datname as name from pg_database where pg_get_userbyid(datdba) in ${held.admin(Object.values(roles))}`;
      for (const { name } of owned) await dropDatabase(held.admin, name);
      for (const role of Object.values(roles)) await held.admin.unsafe(`drop role if exists ${role}`);
      await held.release();
    }
    if (project) {
      await removeProjectServers(project.projectKey);
      project.remove();
    }
  });

  it('two runs at once under two roles: the one cannot connect to the other\'s worker database or template (permission denied for database), and the other\'s tables are whole', async function () {
    const dir = join(project.dir, 'isolation');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    const run = (part: keyof typeof roles) =>
      project.mocha([], {
        PGDOCK_WORKER_USER: roles[part],
        PGDOCK_WORKER_PASSWORD: `pw-${part}`,
        PGDOCK_WORKER_SETUP: 'faults/ledger.sql',
        ISOLATION_PART: part,
        ISOLATION_DIR: dir,
        // Should a run fail, its failure message shows how far pgdock got.
        DEBUG: 'pgdock:*',
      }).done;
    const [victim, intruder] = await Promise.all([run('victim'), run('intruder')]);
    expect(intruder.code, intruder.stdout + intruder.stderr).to.equal(0);
    expect(victim.code, victim.stdout + victim.stderr).to.equal(0);
    const intrusion = JSON.parse(readFileSync(join(dir, 'intruder.json'), 'utf8')) as Intrusion;
    expect(intrusion.user).to.equal(roles.intruder);
    const targets = Object.keys(intrusion.attempts);
    expect(targets.some((t) => t.startsWith('pgdock_wtpl_')), 'the victim\'s template was tried too').to.equal(true);
    for (const [database, outcome] of Object.entries(intrusion.attempts)) expect(outcome, database).to.match(/^42501: permission denied for database/);
  });

  it('isolation: \'database\': a role the test makes cannot connect to the test\'s database, and no database pgdock made lets PUBLIC connect (its template included)', async function () {
    const sample = await SampleProject.create({ 'stranger.spec.js': STRANGER_SPEC });
    const sampleHeld = await holdServer(sample);
    try {
      const env = { PGDOCK_ISOLATION: 'database', PGDOCK_POOL_SIZE: '1', STRANGER_ROLE: `pgdock_iso_s_${createNonce().slice(0, 8)}` };
      const result = await sample.mocha([], env).done;
      expect(result.code, result.stdout + result.stderr).to.equal(0);
      const seen = JSON.parse(readFileSync(join(sample.resultsDir, 'stranger.json'), 'utf8')) as { database: string; outcome: string };
      expect(seen.outcome).to.match(new RegExp(`^42501: permission denied for database "?${seen.database}"?`));
      // The template stays for the next run; nobody but superusers and its owner may connect to it either.
      const open = await sampleHeld.admin<{ name: string }[]>`select datname as name from pg_database
        where datname like 'pgdock\\_%' and has_database_privilege('public', oid, 'CONNECT')`;
      const templates = await sampleHeld.admin<{ name: string }[]>`select datname as name from pg_database where datname like 'pgdock\\_tpl\\_%'`;
      expect(templates, 'a template was built').to.have.length.greaterThan(0);
      expect(open, 'pgdock databases PUBLIC may connect to').to.deep.equal([]);
    } finally {
      await sampleHeld.release();
      await removeProjectServers(sample.projectKey);
      sample.remove();
    }
  });
});
