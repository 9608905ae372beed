import { expect } from 'chai';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useSampleProjects } from '../support/sample-project.js';

function preparingSpec(n: number): string {
  return `import { prepareOnce } from 'pgdock';
import { appendFileSync, writeFileSync } from 'node:fs';
describe('prepare ${n}', function () {
  it('gets the shared artifact ${n}', async function () {
    this.timeout(30000);
    const result = await prepareOnce('build', async () => {
      appendFileSync(process.env.SAMPLE_COUNTER, process.pid + '\\n');
      await new Promise((r) => setTimeout(r, 500));
      if (process.env.FAIL_BUILD) throw new Error('compiler exploded');
      return { builtBy: process.pid, token: Math.random().toString(36).slice(2) };
    }, { inputs: { files: ['src/input.txt'], values: ['v1'] } });
    writeFileSync(process.env.SAMPLE_RESULTS + '/${n}-' + process.pid + '.json', JSON.stringify(result));
  });
});
`;
}

interface JsonReport {
  stats: { passes: number; failures: number };
  failures: Array<{ err: { message?: string } }>;
}

describe('prepareOnce across 6 workers and several runs', function () {
  this.timeout(180_000);
  const newProject = useSampleProjects();

  it('runs fn once, shares the result, reruns on changed inputs, replays a failure and retries in a later run', async function () {
    const files: Record<string, string> = {};
    for (let n = 1; n <= 6; n++) files[`p${n}.spec.js`] = preparingSpec(n);
    const project = await newProject(files);
    const counter = join(project.dir, 'runs.log');
    mkdirSync(join(project.dir, 'src'));
    writeFileSync(join(project.dir, 'src', 'input.txt'), 'one');
    const env = { SAMPLE_COUNTER: counter };
    const runs = () => readFileSync(counter, 'utf8').trim().split('\n').length;
    const results = () => project.resultFiles().map((f) => readFileSync(join(project.resultsDir, f), 'utf8'));
    const mocha = async (extra: Record<string, string> = {}) => {
      project.resetResults();
      const result = await project.mocha(['--parallel', '--jobs', '6', '--reporter', 'json'], { ...env, ...extra }).done;
      return { ...result, report: JSON.parse(result.stdout) as JsonReport };
    };

    const first = await mocha();
    expect(first.code, first.stderr).to.equal(0);
    expect(runs(), 'fn ran once for 6 workers').to.equal(1);
    const seen = results();
    expect(seen).to.have.length(6);
    expect(new Set(seen).size, 'all 6 got the same result').to.equal(1);

    const cached = await mocha();
    expect(cached.code).to.equal(0);
    expect(runs(), 'cached across runs').to.equal(1);
    expect(new Set(results())).to.deep.equal(new Set(seen));

    writeFileSync(join(project.dir, 'src', 'input.txt'), 'two');
    const changed = await mocha();
    expect(changed.code).to.equal(0);
    expect(runs(), 'changed input: once more').to.equal(2);
    expect(new Set(results()).size).to.equal(1);
    expect(results()[0]).to.not.equal(seen[0]);

    writeFileSync(join(project.dir, 'src', 'input.txt'), 'three');
    const failing = await mocha({ FAIL_BUILD: '1' });
    expect(failing.report.stats.failures).to.equal(6);
    const messages = new Set(failing.report.failures.map((f) => f.err.message));
    expect([...messages]).to.deep.equal(['prepareOnce("build") failed: compiler exploded\nHint: Every worker of this run gets this same error; the next run tries again.']);
    expect(runs(), 'the failing fn ran once for all 6').to.equal(3);

    const retry = await mocha({ FAIL_BUILD: '1' });
    expect(retry.report.stats.failures).to.equal(6);
    expect(runs(), 'a later run tries again').to.equal(4);
  });
});
