import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_IMAGE } from '../support/paths.js';
import { onlyOn } from '../support/spec-provider.js';
import { useSampleProjects, type SampleProject } from '../support/sample-project.js';

/** One line fn writes when it starts and one when it ends: `start|end <pid> <ms>`. */
interface FnEvent {
  kind: 'start' | 'end';
  pid: number;
  at: number;
}

/**
 * A spec file whose test calls prepareOnce with a fn that blocks its event loop (execSync) or
 * reads `this.pg.url` (a synchronous server start); the result each worker got goes to a file.
 */
function preparingSpec(n: number, fnBody: string): string {
  return `import { prepareOnce } from 'pgdock';
import { execSync } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
describe('prepare ${n}', function () {
  it('gets the one artifact ${n}', async function () {
    this.timeout(120000);
    const test = this;
    const log = (kind) => appendFileSync(process.env.SAMPLE_COUNTER, kind + ' ' + process.pid + ' ' + Date.now() + '\\n');
    const result = await prepareOnce('artifact', () => {
      log('start');
      ${fnBody}
      log('end');
      return { builtBy: process.pid, token: Math.random().toString(36).slice(2) };
    }, { inputs: { values: [process.env.ROUND] } });
    writeFileSync(process.env.SAMPLE_RESULTS + '/${n}-' + process.pid + '.json', JSON.stringify(result));
  });
});
`;
}

function events(counter: string): FnEvent[] {
  if (!existsSync(counter)) return [];
  return readFileSync(counter, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [kind, pid, at] = line.split(' ');
      return { kind: kind as FnEvent['kind'], pid: Number(pid), at: Number(at) };
    });
}

async function fourFileProject(newProject: ReturnType<typeof useSampleProjects>, fnBody: string): Promise<SampleProject> {
  const files: Record<string, string> = {};
  for (let n = 1; n <= 4; n++) files[`p${n}.spec.js`] = preparingSpec(n, fnBody);
  return newProject(files);
}

/** Runs `rounds` rounds of 4 workers; per round: how often fn ran, whether two ran at once, how many results and distinct results. */
async function rounds(project: SampleProject, count: number, extraEnv: Record<string, string> = {}): Promise<Array<{ runs: number; overlapped: boolean; results: number; distinct: number; code: number | null }>> {
  const out = [];
  for (let round = 1; round <= count; round++) {
    const counter = join(project.dir, `round-${round}.log`);
    project.resetResults();
    const run = await project.mocha(['--parallel', '--jobs', '4'], { SAMPLE_COUNTER: counter, ROUND: `${round}-${randomBytes(4).toString('hex')}`, ...extraEnv }).done;
    const seen = events(counter);
    const starts = seen.filter((e) => e.kind === 'start');
    const ends = seen.filter((e) => e.kind === 'end');
    const overlapped = starts.some((s, i) => i > 0 && s.at < (ends[i - 1]?.at ?? Infinity));
    const results = project.resultFiles().map((f) => readFileSync(join(project.resultsDir, f), 'utf8'));
    out.push({ runs: starts.length, overlapped, results: results.length, distinct: new Set(results).size, code: run.code });
    if (run.code !== 0) process.stderr.write(run.stdout.slice(-2000) + run.stderr.slice(-2000));
  }
  return out;
}

describe('faults: prepareOnce runs exactly once while its holder blocks', function () {
  this.timeout(400_000);
  const newProject = useSampleProjects();

  it('4 workers × 5 rounds, fn = execSync("sleep 9"): fn runs once per round and every worker gets its result', async function () {
    onlyOn(this, ['docker'], 'no server is involved: the same file lock, checked once per CI, in the docker phase');
    const count = 5;
    const project = await fourFileProject(newProject, "execSync('sleep 9');");
    const seen = await rounds(project, count);
    expect(seen.map((r) => r.code), 'every round passes').to.deep.equal(Array(count).fill(0));
    expect(seen.map((r) => r.runs), 'fn ran once per round').to.deep.equal(Array(count).fill(1));
    expect(seen.some((r) => r.overlapped), 'never two at once').to.equal(false);
    expect(seen.map((r) => [r.results, r.distinct]), '4 results, all the same').to.deep.equal(Array(count).fill([4, 1]));
  });

  it('4 workers × 5 rounds, fn reads this.pg.url while a cold server takes > 5 s to start: once per round', async function () {
    onlyOn(this, ['docker'], 'a slow cold start is made with a container image that waits 6 s before Postgres starts');
    const slowImage = `pgdock-spec-slow-${randomBytes(4).toString('hex')}:latest`;
    const base = execFileSync('docker', ['create', TEST_IMAGE], { encoding: 'utf8' }).trim();
    try {
      execFileSync('docker', ['commit', '--change', 'ENTRYPOINT ["/bin/sh", "-c", "sleep 6; exec /usr/local/bin/docker-entrypoint.sh \\"$@\\"", "--"]', base, slowImage], { stdio: 'ignore' });
    } finally {
      execFileSync('docker', ['rm', base], { stdio: 'ignore' });
    }
    try {
      const project = await fourFileProject(newProject, "if (!test.pg.url.startsWith('postgres')) throw new Error('no url');");
      const seen = await rounds(project, 5, { PGDOCK_IMAGE: slowImage, PGDOCK_STARTUP_TIMEOUT: '60000' });
      expect(seen.map((r) => r.code), 'every round passes').to.deep.equal([0, 0, 0, 0, 0]);
      expect(seen.map((r) => r.runs), 'fn ran once per round').to.deep.equal([1, 1, 1, 1, 1]);
      expect(seen.map((r) => [r.results, r.distinct]), '4 results, all the same').to.deep.equal(Array(5).fill([4, 1]));
    } finally {
      execFileSync('docker', ['rmi', slowImage], { stdio: 'ignore' });
    }
  });

  it("fn's process SIGKILLed mid-way: another worker takes over within 10 s and the others get one result", async function () {
    onlyOn(this, ['docker'], 'no server is involved: the same file lock, checked once per suite on docker');
    // The first fn blocks for 30 s (and is killed); the one that takes over finishes in 1 s.
    const project = await fourFileProject(newProject, "execSync(readFileSync(process.env.SAMPLE_COUNTER, 'utf8').split('\\\\n').filter((l) => l.startsWith('start')).length > 1 ? 'sleep 1' : 'sleep 30');");
    const counter = join(project.dir, 'killed.log');
    const run = project.mocha(['--parallel', '--jobs', '4'], { SAMPLE_COUNTER: counter, ROUND: randomBytes(4).toString('hex') });
    let first: FnEvent | undefined;
    while (!(first = events(counter).find((e) => e.kind === 'start'))) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 500));
    process.kill(first.pid, 'SIGKILL');
    const killedAt = Date.now();
    await run.done;
    const seen = events(counter);
    const second = seen.filter((e) => e.kind === 'start')[1];
    expect(second, 'another worker ran fn').to.not.equal(undefined);
    expect(second!.pid).to.not.equal(first.pid);
    expect(second!.at - killedAt, 'taken over within 10 s').to.be.below(10_000);
    expect(seen.filter((e) => e.kind === 'start'), 'fn started twice in all: the killed one and its successor').to.have.length(2);
    const results = project.resultFiles().map((f) => readFileSync(join(project.resultsDir, f), 'utf8'));
    expect(results, 'the 3 surviving workers got a result').to.have.length(3);
    expect(new Set(results).size, 'one result').to.equal(1);
    process.stderr.write(`      (taken over ${second!.at - killedAt} ms after the kill)\n`);
  });
});
