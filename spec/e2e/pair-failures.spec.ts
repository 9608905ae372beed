import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { useSampleProjects, type SampleProject } from '../support/sample-project.js';

/** Three tests that each need their pair, in a file of their own. */
function pairSpec(name: string): string {
  return `describe('${name}', function () {
  for (let i = 0; i < 3; i++) it('${name} needs its pair ' + i, async function () {
    await this.pg.sql.unsafe('select 1 from ' + this.pg.table('users'));
  });
});
`;
}

interface JsonReport {
  stats: { tests: number; failures: number; passes: number };
  failures: Array<{ title: string; duration?: number; err: { message?: string } }>;
}

function brokenSetup(project: SampleProject): Record<string, string> {
  mkdirSync(join(project.dir, 'migrations'));
  writeFileSync(join(project.dir, 'migrations', 'source.sql'), 'create table users (id int primary key);\ncraete table orders (id int);\n');
  return { PGDOCK_SOURCE_SETUP: 'migrations/source.sql' };
}

describe('a pair setup that fails', function () {
  this.timeout(90_000);
  const newProject = useSampleProjects();

  for (const mode of [[], ['--parallel', '--jobs', '2']]) {
    it(`a broken sourceSetup fails every test at once with the file, line and Postgres's words (${mode.length ? '--parallel' : 'serial'})`, async function () {
      const project = await newProject({ 'a.spec.js': pairSpec('a'), 'b.spec.js': pairSpec('b') });
      const result = await project.mocha([...mode, '--reporter', 'json'], brokenSetup(project)).done;
      const report = JSON.parse(result.stdout.slice(result.stdout.indexOf('{'))) as JsonReport;
      expect(report.stats.failures, result.stderr).to.equal(6);
      for (const failure of report.failures) {
        expect(failure.err.message, failure.title).to.include('the sourceSetup file migrations/source.sql:2 failed: syntax error at or near "craete"');
      }
      // Each process's first test also starts (or joins) the server; the others fail in milliseconds
      // (measured: under 20 ms each; the old pool left a claim waiting 120 s for a build that had failed).
      const later = report.failures.filter((f) => !/ 0$/.test(f.title));
      for (const failure of later) expect(failure.duration ?? 0, failure.title).to.be.below(1_000);
      // Measured on 2 busy cores: 9-19 s, of it about 5 s starting the container and 3 s removing it.
      expect(result.ms, 'the run ends promptly').to.be.below(30_000);
    });
  }

  for (const mode of [[], ['--parallel', '--jobs', '2']]) {
    it(`Ctrl-C ends the run while a test waits for its pair (${mode.length ? '--parallel' : 'serial'})`, async function () {
      const project = await newProject({ 'a.spec.js': pairSpec('a') });
      // A setup that takes a minute: the first test's thread blocks in Atomics.wait for its pair.
      writeFileSync(join(project.dir, 'slow-setup.js'), `import { writeFileSync } from 'node:fs';
export default async function (sql) {
  writeFileSync(process.env.SAMPLE_RESULTS + '/waiting', '');
  // One second at a time: once the run is gone, the server notices at the next statement. (One
  // pg_sleep(60) would keep a transaction open for a minute on a shared external server, holding
  // up another spec's logical replication slot.)
  for (let i = 0; i < 60; i++) await sql\`select pg_sleep(1)\`;
}
`);
      const run = project.mocha(mode, { PGDOCK_PAIR_SETUP_MODULE: 'slow-setup.js' });
      const started = Date.now();
      while (!project.resultFiles().includes('waiting') && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 100));
      expect(project.resultFiles(), 'the setup began').to.include('waiting');
      await new Promise((r) => setTimeout(r, 500));
      const signalled = Date.now();
      run.child.kill('SIGINT');
      const result = await run.done;
      expect(Date.now() - signalled, result.stdout + result.stderr).to.be.below(5_000);
      expect(result.code === 130 || result.signal === 'SIGINT' || (result.code ?? 0) !== 0, `exit ${result.code} ${result.signal}`).to.equal(true);
    });
  }
});
