import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServerWatch, projectServers } from '../support/server-watch.js';
import { onlyOn, roundsFor } from '../support/spec-provider.js';
import { SampleProject, useSampleProjects, recordingSpec } from '../support/sample-project.js';

/** A spec file that records which of pgdock's own connections its process has (by application_name). */
function connectionsSpec(name: string): string {
  return `import { writeFileSync } from 'node:fs';
describe('file ${name}', function () {
  it('${name} counts pgdock connections of its process', async function () {
    const count = async (what) => (await this.pg.sql\`select count(*)::int as n from pg_stat_activity where application_name = \${what + ' ' + process.pid}\`)[0].n;
    const record = { pid: process.pid, source: this.pg.source, poolThread: await count('pgdock pool-thread'), pairs: await count('pgdock pairs') };
    writeFileSync(process.env.SAMPLE_RESULTS + '/${name}.json', JSON.stringify(record));
  });
});
`;
}

describe('workers attach through mocha\'s main process and take pairs built on their own thread', function () {
  this.timeout(180_000);
  const newProject = useSampleProjects();

  it('no worker starts a pool thread: cold, a worker\'s first pair comes with its server; warm, each has one connection for its pairs (with poolSize 0 the pool thread shows)', async function () {
    const files = Object.fromEntries(['a', 'b', 'c', 'd'].map((n) => [`${n}.spec.js`, connectionsSpec(n)]));
    const project = await newProject(files);
    type Seen = { pid: number; source: string; poolThread: number; pairs: number };
    const runOnce = async (label: string, env: Record<string, string> = {}): Promise<Seen[]> => {
      project.resetResults();
      const result = await project.mocha(['--parallel', '--jobs', '2'], { PGDOCK_REUSE: 'true', ...env }).done;
      expect(result.code, `${label}: ${result.stdout}${result.stderr}`).to.equal(0);
      const seen = project.resultFiles().map((f) => JSON.parse(readFileSync(join(project.resultsDir, f), 'utf8')) as Seen);
      expect(seen, `${label}: every file reported`).to.have.length(4);
      return seen;
    };
    const cold = await runOnce('cold');
    for (const s of cold) expect(s.poolThread, `cold worker ${s.pid}: pool-thread connections`).to.equal(0);
    const warm = await runOnce('warm');
    for (const s of warm) {
      expect(s.poolThread, `worker ${s.pid}: pool-thread connections`).to.equal(0);
      expect(s.pairs, `worker ${s.pid}: connections of its own pairs`).to.equal(1);
      expect(s.source).to.match(/^src_[0-9a-z]{12}$/);
    }
    expect(new Set(warm.map((s) => s.pid)).size, 'really ran in several workers').to.be.greaterThan(1);
    // The must-fail half: with no pool of its own a worker asks the pool thread, and the count sees it.
    const threaded = await runOnce('warm, poolSize 0', { PGDOCK_POOL_SIZE: '0' });
    for (const s of threaded) expect(s.poolThread, `worker ${s.pid}, poolSize 0: pool-thread connections`).to.be.greaterThan(0);
  });
});

describe('one server for every mocha worker', function () {
  this.timeout(180_000);
  const newProject = useSampleProjects();
  beforeEach(function () {
    onlyOn(this, ['docker', 'embedded'], 'pgdock starts no server on an external one');
  });

  it('12 files with --parallel --jobs 6, cold, 5 rounds (2 off docker): exactly one server (container or postmaster), none left', async function () {
    const project = await newProject();
    for (let round = 1; round <= roundsFor(5); round++) {
      project.resetResults();
      expect(await projectServers(project.projectKey), `round ${round} starts cold`).to.have.length(0);
      const watch = new ServerWatch(project.projectKey);
      const result = await project.mocha(['--parallel', '--jobs', '6']).done;
      await watch.stop();
      expect(result.code, `round ${round}: ${result.stdout}${result.stderr}`).to.equal(0);
      expect(watch.maxAtOnce, `round ${round}: servers at once`).to.equal(1);
      expect(watch.ids.size, `round ${round}: servers created`).to.equal(1);
      const seen = project.results();
      expect(seen, `round ${round}: every file reported`).to.have.length(12);
      expect(new Set(seen.map((s) => s.systemIdentifier)).size, 'one system_identifier').to.equal(1);
      expect(new Set(seen.map((s) => s.serverId))).to.deep.equal(new Set(watch.ids));
      expect(new Set(seen.map((s) => s.pid)).size, 'really ran in several workers').to.be.greaterThan(1);
      expect(await projectServers(project.projectKey), `round ${round}: nothing left (reuse off)`).to.have.length(0);
      expect(existsSync(project.stateDir), `round ${round}: no state files left`).to.equal(false);
    }
  });

  it('two runs started at the same moment share one server, which outlives the first to finish', async function () {
    const project = await newProject({ ...SampleProject.recordingFiles(4), 'slow.spec.js': recordingSpec('slow') });
    const watch = new ServerWatch(project.projectKey);
    const fast = project.mocha(['--parallel', '--jobs', '3', '--ignore', 'spec/slow.spec.js']);
    const slow = project.mocha(['--parallel', '--jobs', '3'], { SAMPLE_DELAY_MS: '4000' });
    const first = await fast.done;
    const aliveAfterFirst = (await projectServers(project.projectKey)).map((c) => c.state);
    const second = await slow.done;
    await watch.stop();
    expect(first.code, first.stdout + first.stderr).to.equal(0);
    expect(second.code, second.stdout + second.stderr).to.equal(0);
    expect(second.ms, 'the slow run really ended later').to.be.greaterThan(first.ms);
    expect(aliveAfterFirst, 'server still running when the first run ended').to.deep.equal(['running']);
    expect(watch.maxAtOnce).to.equal(1);
    expect(watch.ids.size).to.equal(1);
    expect(new Set(project.results().map((s) => s.serverId)).size).to.equal(1);
    expect(await projectServers(project.projectKey), 'the last run removed it').to.have.length(0);
    for (const run of [first, second]) {
      expect(run.stderr.match(/^pgdock: using the /gm), 'each run says once which provider it uses').to.have.length(1);
    }
    expect(existsSync(project.stateDir), 'neither run left a state file (decisions included)').to.equal(false);
  });
});
