import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { ServerWatch, projectServers } from '../support/server-watch.js';
import { onlyOn } from '../support/spec-provider.js';
import { SampleProject, useSampleProjects, UNIT_SPEC } from '../support/sample-project.js';
import type { RunMetrics } from '../../lib/metrics/run-metrics.js';

describe('server lifecycle: reuse, config changes, grep, Ctrl-C, CLI', function () {
  this.timeout(120_000);
  const newProject = useSampleProjects();

  it('reuse on: the next run attaches to the running server; changed args get a new one; the CLI sees both', async function () {
    onlyOn(this, ['docker', 'embedded'], 'pgdock starts no server on an external one');
    const project = await newProject(SampleProject.recordingFiles(3));
    const reuse = { PGDOCK_REUSE: 'true' };
    const first = await project.mocha(['--parallel', '--jobs', '3'], reuse).done;
    expect(first.code, first.stdout + first.stderr).to.equal(0);
    const [kept] = await projectServers(project.projectKey);
    expect(kept?.state, 'kept after the run').to.equal('running');

    project.resetResults();
    const watch = new ServerWatch(project.projectKey);
    const second = await project.mocha(['--parallel', '--jobs', '3'], reuse).done;
    await watch.stop();
    expect(second.code, second.stdout + second.stderr).to.equal(0);
    expect([...watch.ids], 'no server started').to.deep.equal([kept!.id]);
    expect(new Set(project.results().map((s) => s.serverId))).to.deep.equal(new Set([kept!.id]));

    project.resetResults();
    const changed = await project.mocha(['--parallel', '--jobs', '3'], { ...reuse, PGDOCK_POSTGRES_ARGS: '-c work_mem=7MB' }).done;
    expect(changed.code, changed.stdout + changed.stderr).to.equal(0);
    const ids = new Set(project.results().map((s) => s.serverId));
    expect(ids.size).to.equal(1);
    expect(ids.has(kept!.id), 'not the old config\'s server').to.equal(false);

    const status = await project.cli(['status', '--json'], reuse).done;
    const report = JSON.parse(status.stdout) as { reuse: boolean; servers: Array<{ id: string; leases: unknown[]; url: string }> };
    expect(report.reuse).to.equal(true);
    expect(report.servers).to.have.length(2);
    expect(report.servers.every((c) => c.leases.length === 0 && c.url.includes(':***@'))).to.equal(true);

    const url = (await project.cli(['url'], { ...reuse, PGDOCK_POSTGRES_ARGS: '-c work_mem=7MB' }).done).stdout.trim();
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    const [row] = await sql<{ v: string }[]>`select current_setting('work_mem') as v`;
    await sql.end();
    expect(row?.v, 'url points at the server of the asked config').to.equal('7MB');
    const password = new URL(url).password;
    expect(password).to.have.length.greaterThan(10);
    for (const out of [first, second, changed, status]) expect(out.stdout + out.stderr).to.not.contain(password);

    const down = await project.cli(['down'], reuse).done;
    expect(down.stdout.match(/^removed /gm)).to.have.length(2);
    expect(await projectServers(project.projectKey)).to.have.length(0);
    expect(existsSync(project.stateDir), 'down leaves no state folders').to.equal(false);
  });

  it('the cold start is not counted against the first test\'s timeout (--timeout 600, start ~1 s)', async function () {
    onlyOn(this, ['docker', 'embedded'], 'there is no cold start on an external server');
    const project = await newProject(SampleProject.recordingFiles(2));
    // 600 ms: a cold start takes longer, and a loaded machine still connects and queries in it.
    const result = await project.mocha(['--timeout', '600', '--parallel', '--jobs', '2'], { PGDOCK_METRICS_FILE: 'metrics.json' }).done;
    expect(result.code, result.stdout + result.stderr).to.equal(0);
    expect(result.stdout).to.match(/2 passing/);
    const metrics = JSON.parse(readFileSync(join(project.dir, 'metrics.json'), 'utf8')) as RunMetrics;
    expect(metrics.server?.start).to.equal('cold');
    expect(metrics.waits.server.maxPerProcess, 'a test really waited longer than its timeout for the server').to.be.greaterThan(600);
  });

  it('--grep matching no Postgres test starts no server and asks no provider, in parallel and serial mode', async function () {
    const project = await newProject({ 'unit.spec.js': UNIT_SPEC, ...SampleProject.recordingFiles(3) });
    const watch = new ServerWatch(project.projectKey, 20);
    const parallel = await project.mocha(['--parallel', '--jobs', '2', '--grep', 'adds numbers']).done;
    const serial = await project.mocha(['--grep', 'adds numbers']).done;
    await watch.stop();
    expect(parallel.code, parallel.stdout + parallel.stderr).to.equal(0);
    expect(parallel.stdout).to.match(/1 passing/);
    expect(serial.stdout).to.match(/1 passing/);
    expect(watch.maxAtOnce, 'servers seen').to.equal(0);
    expect(parallel.stderr + serial.stderr, 'no provider chosen').to.not.contain('pgdock: using the');
    expect(project.results()).to.have.length(0);
  });

  for (const mode of ['parallel', 'serial'] as const) {
    it(`Ctrl-C (SIGINT) in mocha's main process removes the server (${mode})`, async function () {
      onlyOn(this, ['docker', 'embedded'], 'pgdock starts no server on an external one');
      const project = await newProject(SampleProject.recordingFiles(2));
      const run = project.mocha(mode === 'parallel' ? ['--parallel', '--jobs', '2'] : [], { SAMPLE_DELAY_MS: '60000' });
      while (project.results().length === 0) await new Promise((r) => setTimeout(r, 50));
      expect(await projectServers(project.projectKey)).to.have.length(1);
      run.child.kill('SIGINT');
      const result = await run.done;
      expect(result.ms, 'stopped long before the test would have ended').to.be.lessThan(50_000);
      expect(await projectServers(project.projectKey), result.stdout + result.stderr).to.have.length(0);
    });
  }
});
