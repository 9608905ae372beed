import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/paths.js';
import { useSampleProjects } from '../support/sample-project.js';

/** A spec that fails on purpose: a wrong row, and an assertion never awaited. */
const failingSpec = (): string => readFileSync(join(REPO_ROOT, 'fixtures', 'reports', 'copy-job.spec.js'), 'utf8');

interface ReportTest {
  title: string;
  state: string;
  err: { message?: string; diff?: string };
  context?: string;
}

interface ReportSuite {
  tests: ReportTest[];
  suites: ReportSuite[];
}

function allTests(suites: ReportSuite[]): ReportTest[] {
  return suites.flatMap((s) => [...s.tests, ...allTests(s.suites)]);
}

describe('mochawesome reports of failing SQL assertions', function () {
  this.timeout(120_000);
  const newProject = useSampleProjects();

  it('a failing spec in a child mocha: the JSON has the diff and pgdock context; no password anywhere', async function () {
    const project = await newProject({ 'report.spec.js': failingSpec() });
    const env = { PGDOCK_REUSE: 'true' };
    const result = await project.mocha(
      ['--parallel', '--jobs', '2', '--require', 'mochawesome/register', '--reporter', 'mochawesome',
        '--reporter-options', 'reportDir=reports,reportFilename=report,quiet=true'],
      env,
    ).done;
    expect(result.code, result.stdout + result.stderr).to.not.equal(0);
    const json = readFileSync(join(project.dir, 'reports', 'report.json'), 'utf8');
    const html = readFileSync(join(project.dir, 'reports', 'report.html'), 'utf8');
    const report = JSON.parse(json) as { stats: { passes: number; failures: number }; results: ReportSuite[] };
    expect(report.stats.failures).to.equal(2); // the unawaited test shows as passed, then failed by afterEach
    const tests = allTests(report.results);

    const failing = tests.find((t) => t.title === 'copies users (fails on purpose)')!;
    expect(failing.state).to.equal('failed');
    expect(failing.err.message).to.contain('missing rows (1)').and.to.contain('first differing column: name (expected "Grace Hopper", actual "grace")');
    expect(failing.err.diff, 'chai showDiff data reached the report').to.contain('Grace Hopper');
    // The diff holds normalised rows side by side: the name is the only line marked.
    const marked = (failing.err.diff ?? '').split('\n').filter((line) => /^[+-] /.test(line));
    expect(marked, failing.err.diff).to.deep.equal(['-     "name": "grace"', '+     "name": "Grace Hopper"']);
    const context = JSON.parse(failing.context ?? '[]') as Array<{ title: string; value: unknown }>;
    const byTitle = new Map(context.map((c) => [c.title, c.value]));
    expect(byTitle.get('pgdock: SQL that ran (last first)')).to.match(/^select \* from src_[0-9a-z]{12}\."users";\n\ninsert into [\s\S]*create table [^;]*$/);
    expect(byTitle.get('pgdock: schema pair')).to.have.property('source').that.match(/^src_[0-9a-z]{12}$/);
    expect(byTitle.get('pgdock: server')).to.have.property('url').that.contains(':***@');

    const unawaited = tests.find((t) => t.title === 'forgets to await an assertion')!;
    expect(unawaited.state).to.equal('failed');
    expect(unawaited.err.message).to.contain('were never awaited (rowCount(5))');

    const url = (await project.cli(['url'], env).done).stdout.trim();
    const password = new URL(url).password;
    expect(password.length).to.be.greaterThan(10);
    for (const [name, text] of Object.entries({ json, html, stdout: result.stdout, stderr: result.stderr })) {
      expect(text.includes(password), `password in ${name}`).to.equal(false);
    }
  });
});
