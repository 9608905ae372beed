import { randomUUID } from 'node:crypto';
import { onlyOn } from '../support/spec-provider.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { eventually, processesWithMarker } from '../support/process-listing.js';
import { useSampleProjects, type SampleProject } from '../support/sample-project.js';

/**
 * A process of the system under test: ignores SIGTERM (so only SIGKILL ends it), starts a
 * grandchild in its group, prints the secret it was given. Its marker argument finds it and its
 * grandchild in /proc.
 */
const SUT = `process.on('SIGTERM', () => {});
require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', process.argv[1]], { stdio: 'ignore' });
console.log('token is ' + process.env.API_TOKEN + ', db ' + process.env.DATABASE_URL);
console.log('up'); setInterval(() => {}, 1000);`;

/** A sample spec file: a suite process and a test process; the test records its pids, then waits (or fails). */
function holdingSpec(name: string, fail = false): string {
  return `import { writeFileSync } from 'node:fs';
import { startProcess } from 'pgdock';
const sut = (name, url) => ({ name, command: process.execPath, args: ['-e', ${JSON.stringify(SUT)}, process.env.SUT_MARKER + '-sut'],
  env: { API_TOKEN: process.env.SUT_TOKEN, DATABASE_URL: url }, ready: { log: /^up$/ }, stopGrace: 500 });
describe('file ${name}', function () {
  before(async function () { await startProcess(sut('suite-sut', this.pg.url)); });
  it('${name} holds processes', async function () {
    this.timeout(120000);
    const p = await startProcess(sut('api', this.pg.url));
    writeFileSync(process.env.SAMPLE_RESULTS + '/${name}-' + process.pid + '.json', JSON.stringify({ worker: process.pid, sut: p.pid }));
    ${fail ? "throw new Error('the job never completed (fails on purpose)');" : 'await new Promise((r) => setTimeout(r, Number(process.env.SAMPLE_DELAY_MS || 0)));'}
  });
});
`;
}

interface Held {
  worker: number;
  sut: number;
}

function held(project: SampleProject): Held[] {
  return readdirSync(project.resultsDir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(project.resultsDir, f), 'utf8')) as Held);
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  if (!(await eventually(check, 90_000))) throw new Error(`timed out waiting for ${what}`);
}

describe('startProcess in a whole run: no process of the system under test survives', function () {
  this.timeout(180_000);
  const newProject = useSampleProjects();
  let marker = '';
  const token = `tok-${randomUUID()}`;

  beforeEach(function () {
    onlyOn(this, ['docker', 'embedded'], 'what happens to started processes does not depend on the server; the external phase shares one server with every spec');
    marker = `pgdock-marker-${randomUUID()}`;
  });
  /** The started processes carry `<marker>-sut` in their arguments (mocha's own processes have the marker alone, in env). */
  const survivors = (): number[] => processesWithMarker(`${marker}-sut`);

  afterEach(function () {
    // Whatever happened: none of this test's processes is left for the next one.
    for (const pid of survivors()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  });

  it('Ctrl-C of a --parallel run (SIGINT to its process group, as a terminal sends it) stops them all', async function () {
    const project = await newProject({ 'a.spec.js': holdingSpec('a'), 'b.spec.js': holdingSpec('b') });
    const run = project.mocha(['--parallel', '--jobs', '2'], { SUT_MARKER: marker, SUT_TOKEN: token, SAMPLE_DELAY_MS: '100000' });
    await waitFor(() => held(project).length === 2, 'both tests to hold their processes');
    // Must fail half: each file's suite and test process and their grandchildren run (SIGTERM is ignored by all).
    expect(survivors()).to.have.length(8);
    process.kill(-run.child.pid!, 'SIGINT');
    const result = await run.done;
    expect(result.ms, 'ended long before the tests would have').to.be.below(90_000);
    expect(await eventually(() => survivors().length === 0, 15_000), `left: ${survivors().join(', ')}\n${result.stderr}`).to.equal(true);
  });

  it('a worker SIGKILLed mid-test (no handler runs): its processes are stopped too, by the time the run has ended', async function () {
    const project = await newProject({ 'a.spec.js': holdingSpec('a'), 'b.spec.js': holdingSpec('b') });
    const run = project.mocha(['--parallel', '--jobs', '2'], { SUT_MARKER: marker, SUT_TOKEN: token, SAMPLE_DELAY_MS: '8000' });
    await waitFor(() => held(project).length === 2, 'both tests to hold their processes');
    const [victim] = held(project);
    expect(survivors()).to.have.length(8);
    process.kill(victim!.worker, 'SIGKILL');
    const result = await run.done;
    expect(result.code, 'the run fails: a worker died').to.not.equal(0);
    expect(await eventually(() => survivors().length === 0, 15_000), `left: ${survivors().join(', ')}\n${result.stderr}`).to.equal(true);
  });

  it("a failing test's mochawesome context has its processes' output, with no secret in it", async function () {
    const project = await newProject({ 'fails.spec.js': holdingSpec('fails', true) });
    const result = await project.mocha(
      ['--parallel', '--jobs', '1', '--require', 'mochawesome/register', '--reporter', 'mochawesome', '--reporter-options', 'reportDir=reports,reportFilename=report,quiet=true'],
      { SUT_MARKER: marker, SUT_TOKEN: token },
    ).done;
    expect(result.code, result.stdout + result.stderr).to.not.equal(0);
    const json = readFileSync(join(project.dir, 'reports', 'report.json'), 'utf8');
    const report = JSON.parse(json) as { results: { suites: { tests: { title: string; context?: string }[] }[] }[] };
    const test = report.results[0]!.suites[0]!.tests.find((t) => t.title === 'fails holds processes')!;
    const context = JSON.parse(test.context ?? '[]') as { title: string; value: string }[];
    const byTitle = new Map(context.map((c) => [c.title, c.value]));
    expect(byTitle.get('pgdock: process api output (last 2 lines)')).to.match(/^token is \*\*\*, db postgres:\/\/[^:]+:\*\*\*@[^\n]+\nup$/);
    expect(byTitle.get('pgdock: process suite-sut output (last 2 lines)'), 'the suite\'s process too').to.contain('token is ***');
    expect(json).to.not.contain(token);
    expect(await eventually(() => survivors().length === 0, 10_000)).to.equal(true);
  });
});
