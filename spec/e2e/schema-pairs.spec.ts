import { expect } from 'chai';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { listMarked } from '../../lib/isolation/marks.js';
import { ServerWatch, projectServers } from '../support/server-watch.js';
import { roundsFor, specProvider } from '../support/spec-provider.js';
import { SampleProject, useSampleProjects } from '../support/sample-project.js';

/** A spec file of `count` tests, each using its own pair and checking it sees nothing else. */
function isolationSpec(file: string, count: number): string {
  return `import assert from 'node:assert';
import { appendFileSync } from 'node:fs';
describe('isolation ${file}', function () {
  for (let i = 0; i < ${count}; i++) {
    it('test ${file} ' + i, async function () {
      const { sql, source, destination } = this.pg;
      const id = '${file}-' + i;
      await sql.unsafe(\`create table \${source}.mine (test text); insert into \${source}.mine values ('\${id}');
        create table \${destination}.copy as select * from \${source}.mine\`);
      const rows = await sql.unsafe(\`select test from \${source}.mine union all select test from \${destination}.copy\`);
      assert.deepStrictEqual(rows.map((r) => r.test), [id, id]);
      const [{ n }] = await sql\`select count(*)::int as n from information_schema.tables where table_schema in (\${source}, \${destination})\`;
      assert.strictEqual(n, 2);
      appendFileSync(process.env.SAMPLE_RESULTS + '/pairs-' + process.pid + '.txt', source + ' ' + destination + '\\n');
      if (process.env.FAIL_EVERY && i % Number(process.env.FAIL_EVERY) === 0) {
        appendFileSync(process.env.SAMPLE_RESULTS + '/failed-' + process.pid + '.txt', this.test.title + ' ' + source + ' ' + destination + '\\n');
        assert.fail('deliberate failure ' + id);
      }
    });
  }
});
`;
}

function isolationFiles(files: number, tests: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let f = 1; f <= files; f++) out[`iso${f}.spec.js`] = isolationSpec(`f${f}`, tests);
  return out;
}

/** Each run writes its figures there (RUN_METRICS): its run id says which schemas it made. */
const RUN_METRICS = { PGDOCK_METRICS_FILE: 'run-metrics.json' };

/** The run id of the project's last run (from its metrics file). */
function lastRunId(project: SampleProject): string {
  return (JSON.parse(readFileSync(join(project.dir, 'run-metrics.json'), 'utf8')) as { runId: string }).runId;
}

/**
 * The pgdock schemas the project's runs (`runIds`) left. Only theirs: an external server is shared
 * with other specs' runs, which make and drop pairs at the same time.
 */
async function pgdockSchemas(project: SampleProject, env: Record<string, string>, runIds: string[]): Promise<string[]> {
  const url = (await project.cli(['url'], env).done).stdout.trim();
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return (await listMarked(sql, 'schema'))
      .filter((s) => runIds.includes(s.mark.owner.run))
      .map((s) => s.name)
      .sort();
  } finally {
    await sql.end();
  }
}

function recordedPairs(project: SampleProject, prefix = 'pairs-'): string[] {
  return project.resultFiles().filter((f) => f.startsWith(prefix)).flatMap((f) => readFileSync(join(project.resultsDir, f), 'utf8').trim().split('\n'));
}

describe('schema pairs under real concurrency', function () {
  this.timeout(300_000);
  const newProject = useSampleProjects();

  it('4 workers x 200 tests: every test sees only its own pair; afterwards no pgdock schema remains', async function () {
    const project = await newProject(isolationFiles(8, 100));
    const env = { PGDOCK_REUSE: 'true', ...RUN_METRICS };
    const result = await project.mocha(['--parallel', '--jobs', '4'], env).done;
    expect(result.code, result.stdout.slice(-3000) + result.stderr).to.equal(0);
    expect(result.stdout).to.match(/800 passing/);
    const pairs = recordedPairs(project);
    expect(pairs).to.have.length(800);
    expect(new Set(pairs.flatMap((p) => p.split(' '))).size, 'all 1600 schema names distinct').to.equal(1600);
    expect(await pgdockSchemas(project, env, [lastRunId(project)])).to.deep.equal([]);
  });

  it('three mocha --parallel runs at once, 3 rounds (2 off docker): one server, every pair distinct, nothing left', async function () {
    const project = await newProject(isolationFiles(4, 25));
    for (let round = 1; round <= roundsFor(3); round++) {
      project.resetResults();
      const watch = new ServerWatch(project.projectKey);
      const runs = [1, 2, 3].map(() => project.mocha(['--parallel', '--jobs', '2']));
      const results = await Promise.all(runs.map((r) => r.done));
      await watch.stop();
      for (const r of results) expect(r.code, `round ${round}: ${r.stdout.slice(-2000)}${r.stderr}`).to.equal(0);
      if (specProvider() !== 'external') expect(watch.maxAtOnce, `round ${round}: servers at once`).to.equal(1);
      const pairs = recordedPairs(project);
      expect(pairs, `round ${round}: 3 runs x 100 tests`).to.have.length(300);
      expect(new Set(pairs).size, `round ${round}: every pair distinct`).to.equal(300);
      expect(await projectServers(project.projectKey), `round ${round}: the last run removed it`).to.have.length(0);
    }
  });

  it('every pair gets the setup files; a changed migration never serves stale schemas', async function () {
    const spec = `import assert from 'node:assert';
import { appendFileSync } from 'node:fs';
describe('setup', function () {
  for (let i = 0; i < 6; i++) it('sees the migrated tables ' + i, async function () {
    const rows = await this.pg.sql\`select table_schema, table_name from information_schema.tables
      where table_schema in (\${this.pg.source}, \${this.pg.destination}) order by 1, 2\`;
    appendFileSync(process.env.SAMPLE_RESULTS + '/tables.txt', rows.map((r) => r.table_schema.slice(0, 3) + '.' + r.table_name).join(',') + '\\n');
  });
});
`;
    const project = await newProject({ 'setup.spec.js': spec });
    const env = { PGDOCK_REUSE: 'true', PGDOCK_SOURCE_SETUP: 'migrations/source.sql', PGDOCK_DESTINATION_SETUP: 'migrations/destination.sql', ...RUN_METRICS };
    mkdirSync(join(project.dir, 'migrations'));
    writeFileSync(join(project.dir, 'migrations', 'source.sql'), 'create table users (id int primary key);');
    writeFileSync(join(project.dir, 'migrations', 'destination.sql'), 'create table users_copy (id int);');
    const first = await project.mocha(['--jobs', '1', '--parallel'], env).done;
    expect(first.code, first.stdout + first.stderr).to.equal(0);
    const runIds = [lastRunId(project)];
    const seen = () => readFileSync(join(project.resultsDir, 'tables.txt'), 'utf8').trim().split('\n');
    expect(new Set(seen())).to.deep.equal(new Set(['dst.users_copy,src.users']));

    project.resetResults();
    writeFileSync(join(project.dir, 'migrations', 'source.sql'), 'create table users (id int primary key);\ncreate table orders (id int);');
    const second = await project.mocha(['--jobs', '1', '--parallel'], env).done;
    runIds.push(lastRunId(project));
    expect(second.code, second.stdout + second.stderr).to.equal(0);
    expect(new Set(seen()), 'no pair from the old migration').to.deep.equal(new Set(['dst.users_copy,src.orders,src.users']));
    expect(await pgdockSchemas(project, env, runIds)).to.deep.equal([]);
  });

  it("isolation: 'database': a database per test cloned from one template, same API, nothing left after", async function () {
    const spec = (file: string) => `import assert from 'node:assert';
import { appendFileSync } from 'node:fs';
describe('database isolation ${file}', function () {
  for (let i = 0; i < 5; i++) it('own database ${file} ' + i, async function () {
    const { sql, source, destination, database } = this.pg;
    assert.match(database, /^pgdock_t_own_database_${file}_\\d_[0-9a-z]{12}$/);
    const [{ db }] = await sql\`select current_database() as db\`;
    assert.strictEqual(db, database);
    assert.ok(this.pg.url.endsWith('/' + database));
    await sql.unsafe(\`insert into \${source}.users values (1); create publication \${source}_pub for all tables\`);
    const [{ pubs }] = await sql\`select count(*)::int as pubs from pg_publication\`;
    assert.strictEqual(pubs, 1, 'database-level objects are the test\\'s own');
    const [{ n }] = await sql.unsafe(\`select count(*)::int as n from \${source}.users\`);
    assert.strictEqual(n, 1);
    assert.strictEqual((await this.pg.sqlFor('destination')\`select current_schema() as s\`)[0].s, destination);
    appendFileSync(process.env.SAMPLE_RESULTS + '/dbs.txt', database + '\\n');
  });
});
`;
    const project = await newProject({ 'a.spec.js': spec('a'), 'b.spec.js': spec('b'), 'c.spec.js': spec('c') });
    mkdirSync(join(project.dir, 'migrations'));
    writeFileSync(join(project.dir, 'migrations', 'source.sql'), 'create table users (id int primary key);');
    const env = { PGDOCK_REUSE: 'true', PGDOCK_ISOLATION: 'database', PGDOCK_SOURCE_SETUP: 'migrations/source.sql' };
    const result = await project.mocha(['--parallel', '--jobs', '3'], env).done;
    expect(result.code, result.stdout.slice(-3000) + result.stderr).to.equal(0);
    const dbs = readFileSync(join(project.resultsDir, 'dbs.txt'), 'utf8').trim().split('\n');
    expect(new Set(dbs).size).to.equal(15);
    const url = (await project.cli(['url'], env).done).stdout.trim();
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      // (Worker databases, pgdock_w…, are another spec's; on an external server they share it.)
      const left = await sql<{ datname: string }[]>`select datname from pg_database where datname like 'pgdock\_%' and datname not like 'pgdock\_w%' order by 1`;
      expect(left.map((r) => r.datname.replace(/_[0-9a-f]{12}$/, '_<key>'))).to.deep.equal(['pgdock_tpl_<key>']);
    } finally {
      await sql.end();
    }
  });

  for (const isolation of ['schema', 'database']) {
    it(`serial mode (no --parallel), isolation ${isolation}: mocha exits and leaves no pair behind`, async function () {
      const spec = `describe('serial', function () { for (let i = 0; i < 10; i++) it('pair ' + i, async function () {
        await this.pg.sql.unsafe('create table ' + this.pg.table('t') + ' (v int)'); }); });`;
      const project = await newProject({ 'serial.spec.js': spec });
      const env = { PGDOCK_REUSE: 'true', PGDOCK_ISOLATION: isolation, PGDOCK_POOL_SIZE: '3', ...RUN_METRICS };
      const run = project.mocha([], env);
      const result = await run.done;
      expect(result.code, result.stdout + result.stderr).to.equal(0);
      expect(result.stdout).to.match(/10 passing/);
      const url = (await project.cli(['url'], env).done).stdout.trim();
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      try {
        // Only this run's: an external server is shared with other specs' runs, making and dropping pairs now.
        const runId = lastRunId(project);
        expect(await pgdockSchemas(project, env, [runId])).to.deep.equal([]);
        // Its template stays for the next run with the same setup (as before: only test databases and pool clones must go).
        expect((await listMarked(sql, 'database')).filter((m) => m.mark.owner.run === runId && m.mark.pair !== 'template').map((m) => m.name)).to.deep.equal([]);
        const clones = await sql`select datname from pg_database where datname like ${`pgdock\\_pool\\_${run.child.pid}\\_%`}`;
        expect(clones.map((d) => d.datname), 'unmarked pool clones of the run').to.deep.equal([]);
      } finally {
        await sql.end();
      }
    });
  }

  it('keep on failure: only the failing tests\' pairs remain, and the output says how to open them', async function () {
    const project = await newProject(isolationFiles(2, 20));
    const env = { PGDOCK_REUSE: 'true', PGDOCK_KEEP_ON_FAILURE: 'true', FAIL_EVERY: '10', ...RUN_METRICS };
    const result = await project.mocha(['--parallel', '--jobs', '2'], env).done;
    expect(result.stdout).to.match(/36 passing/).and.to.match(/4 failing/);
    // A kept pair is renamed to carry its test's title: src_<title>_<nonce> for the src_<nonce> the test had.
    const failed = recordedPairs(project, 'failed-').flatMap((line) => {
      const [, title, source, destination] = /^(.*) (src_\w+) (dst_\w+)$/.exec(line) ?? [];
      const slug = title!.replace(/[^a-z0-9]+/g, '_');
      return [source!.replace(/^src_/, `src_${slug}_`), destination!.replace(/^dst_/, `dst_${slug}_`)];
    }).sort();
    expect(failed).to.have.length(8);
    expect(failed.every((n) => /^(src|dst)_test_f\d_(0|10)_[0-9a-z]{12}$/.test(n)), failed.join(' ')).to.equal(true);
    expect(await pgdockSchemas(project, env, [lastRunId(project)])).to.deep.equal(failed);
    for (const name of failed.filter((n) => n.startsWith('src_'))) expect(result.stderr, `the kept line names ${name}`).to.contain(name);
    expect(result.stderr).to.contain(`PGOPTIONS='-c search_path=`).and.to.contain(`psql "$(npx pgdock url)"`);
    const url = (await project.cli(['url'], env).done).stdout.trim();
    expect(result.stdout + result.stderr, 'no password in the output').to.not.contain(new URL(url).password);
  });
});
