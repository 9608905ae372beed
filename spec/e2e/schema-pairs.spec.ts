import { expect } from 'chai';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { listMarkedSchemas } from '../../lib/schema-pool.js';
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
      if (process.env.FAIL_EVERY && i % Number(process.env.FAIL_EVERY) === 0) assert.fail('deliberate failure ' + id);
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

async function pgdockSchemas(project: SampleProject, env: Record<string, string>): Promise<string[]> {
  const url = (await project.cli(['url'], env).done).stdout.trim();
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return (await listMarkedSchemas(sql)).map((s) => s.name).sort();
  } finally {
    await sql.end();
  }
}

function recordedPairs(project: SampleProject): string[] {
  return project.resultFiles().flatMap((f) => readFileSync(join(project.resultsDir, f), 'utf8').trim().split('\n'));
}

describe('schema pairs under real concurrency (docker)', function () {
  this.timeout(300_000);
  const newProject = useSampleProjects();

  it('4 workers x 200 tests: every test sees only its own pair; afterwards no pgdock schema remains', async function () {
    const project = await newProject(isolationFiles(8, 100));
    const env = { PGDOCK_REUSE: 'true' };
    const result = await project.mocha(['--parallel', '--jobs', '4'], env).done;
    expect(result.code, result.stdout.slice(-3000) + result.stderr).to.equal(0);
    expect(result.stdout).to.match(/800 passing/);
    const pairs = recordedPairs(project);
    expect(pairs).to.have.length(800);
    expect(new Set(pairs.flatMap((p) => p.split(' '))).size, 'all 1600 schema names distinct').to.equal(1600);
    expect(await pgdockSchemas(project, env)).to.deep.equal([]);
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
    const env = { PGDOCK_REUSE: 'true', PGDOCK_SOURCE_SETUP: 'migrations/source.sql', PGDOCK_DESTINATION_SETUP: 'migrations/destination.sql' };
    mkdirSync(join(project.dir, 'migrations'));
    writeFileSync(join(project.dir, 'migrations', 'source.sql'), 'create table users (id int primary key);');
    writeFileSync(join(project.dir, 'migrations', 'destination.sql'), 'create table users_copy (id int);');
    const first = await project.mocha(['--jobs', '1', '--parallel'], env).done;
    expect(first.code, first.stdout + first.stderr).to.equal(0);
    const seen = () => readFileSync(join(project.resultsDir, 'tables.txt'), 'utf8').trim().split('\n');
    expect(new Set(seen())).to.deep.equal(new Set(['dst.users_copy,src.users']));

    project.resetResults();
    writeFileSync(join(project.dir, 'migrations', 'source.sql'), 'create table users (id int primary key);\ncreate table orders (id int);');
    const second = await project.mocha(['--jobs', '1', '--parallel'], env).done;
    expect(second.code, second.stdout + second.stderr).to.equal(0);
    expect(new Set(seen()), 'no pair from the old migration').to.deep.equal(new Set(['dst.users_copy,src.orders,src.users']));
    expect(await pgdockSchemas(project, env)).to.deep.equal([]);
  });

  it('keep on failure: only the failing tests\' pairs remain, and the output says how to open them', async function () {
    const project = await newProject(isolationFiles(2, 20));
    const env = { PGDOCK_REUSE: 'true', PGDOCK_KEEP_ON_FAILURE: 'true', FAIL_EVERY: '10' };
    const result = await project.mocha(['--parallel', '--jobs', '2'], env).done;
    expect(result.stdout).to.match(/36 passing/).and.to.match(/4 failing/);
    const failed = recordedPairs(project).filter((line) => /_test_f\d_(0|10)_/.test(line)).flatMap((l) => l.split(' ')).sort();
    expect(failed).to.have.length(8);
    expect(await pgdockSchemas(project, env)).to.deep.equal(failed);
    expect(result.stderr).to.contain(`PGOPTIONS='-c search_path=`).and.to.contain(`psql "$(npx pgdock url)"`);
    const url = (await project.cli(['url'], env).done).stdout.trim();
    expect(result.stdout + result.stderr, 'no password in the output').to.not.contain(new URL(url).password);
  });
});
