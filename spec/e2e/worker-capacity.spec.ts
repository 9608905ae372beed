import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultJobs } from '../../lib/config/default-jobs.js';
import { DEFAULT_MAX_JOBS } from '../../lib/config/connection-sizing.js';
import { SampleProject, useSampleProjects } from '../support/sample-project.js';
import { ServerWatch, projectServers } from '../support/server-watch.js';
import { onlyOn } from '../support/spec-provider.js';

/** A spec file that reads its worker database from the env pgdock exported, and records what it saw. */
const CAPACITY_SPEC = `import { writeFileSync } from 'node:fs';
import postgres from 'postgres';
describe('capacity', function () {
  it('reaches its worker database through PG*', async function () {
    const sql = postgres({ max: 1, onnotice: () => {} });
    try {
      const [row] = await sql\`select current_database() as db, current_setting('max_connections')::int as max\`;
      writeFileSync(process.env.SAMPLE_RESULTS + '/capacity-' + process.pid + '.seen', JSON.stringify({ ...row, jobs: process.env.PGDOCK_RUN_JOBS }));
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});
`;

interface CapacitySeen {
  db: string;
  max: number;
  jobs: string;
}

function capacitySeen(project: SampleProject): CapacitySeen[] {
  return readdirSync(project.resultsDir)
    .filter((f) => f.endsWith('.seen'))
    .map((f) => JSON.parse(readFileSync(join(project.resultsDir, f), 'utf8')) as CapacitySeen);
}

/** The ceiling pgdock sizes a server for when `maxJobs` is not set, on this machine. */
const CEILING = Math.max(DEFAULT_MAX_JOBS, defaultJobs());

describe('worker databases: one server whatever --jobs (up to maxJobs)', function () {
  this.timeout(240_000);
  const newProject = useSampleProjects();
  const files = { ...SampleProject.recordingFiles(3), 'capacity.spec.js': CAPACITY_SPEC };

  it('--jobs 2, then 8, then 4 (reuse on): the same server all along, sized for maxJobs; a real config change is seen as a second one', async function () {
    onlyOn(this, ['docker', 'embedded'], 'pgdock sizes no external server');
    const project = await newProject(files);
    const env = { PGDOCK_WORKER_DATABASE: 'true', PGDOCK_REUSE: 'true' };
    const watch = new ServerWatch(project.projectKey);
    const servers: string[] = [];
    try {
      for (const jobs of ['2', '8', '4']) {
        project.resetResults();
        const run = await project.mocha(['--parallel', '--jobs', jobs], env).done;
        expect(run.code, run.stdout + run.stderr).to.equal(0);
        expect(run.stdout).to.match(/4 passing/);
        const ids = [...new Set(project.results().map((s) => s.serverId))];
        expect(ids, `--jobs ${jobs}: one server`).to.have.length(1);
        servers.push(ids[0]!);
        const [seen] = capacitySeen(project);
        expect(seen?.jobs, 'the workers were told this run\'s jobs').to.equal(jobs);
        expect(seen?.max, `room for ${CEILING} workers × (10 + 4)`).to.be.at.least(CEILING * 14 + 3);
        const now = await projectServers(project.projectKey);
        expect(now.map((s) => [s.id, s.state]), `after --jobs ${jobs}`).to.deep.equal([[servers[0], 'running']]);
      }
    } finally {
      await watch.stop();
    }
    expect(new Set(servers).size, 'one server identity across the three runs').to.equal(1);
    expect([...watch.ids], 'no other server appeared, even for a moment').to.deep.equal([servers[0]]);
    expect(watch.maxAtOnce).to.equal(1);

    // Must fail: the watch does see a second server when the config really changes (another pool size).
    const poolWatch = new ServerWatch(project.projectKey);
    project.resetResults();
    const other = await project.mocha(['--parallel', '--jobs', '2'], { ...env, PGDOCK_WORKER_POOL_SIZE: '30' }).done;
    await poolWatch.stop();
    expect(other.code, other.stdout + other.stderr).to.equal(0);
    expect(poolWatch.ids.size, 'a second server for workerPoolSize=30').to.equal(2);
    expect((await projectServers(project.projectKey)).length).to.equal(2);
  });

  it(`beyond the ceiling (--jobs ${CEILING + 1}, or above PGDOCK_MAX_JOBS): ERR_PGDOCK_TOO_MANY_JOBS names the setting, no file runs, no server starts`, async function () {
    onlyOn(this, ['docker', 'embedded'], 'an external server has its own max_connections, checked as it is');
    const project = await newProject(files);
    const env = { PGDOCK_WORKER_DATABASE: 'true', PGDOCK_REUSE: 'true' };
    const first = await project.mocha(['--parallel', '--jobs', '2'], env).done;
    expect(first.code, first.stdout + first.stderr).to.equal(0);
    const [server] = await projectServers(project.projectKey);
    expect(server).to.not.equal(undefined);

    const watch = new ServerWatch(project.projectKey);
    const over = CEILING + 1;
    project.resetResults();
    const refused = await project.mocha(['--parallel', '--jobs', String(over)], env).done;
    const out = refused.stdout + refused.stderr;
    expect(refused.code, out).to.not.equal(0);
    expect(out).to.contain(`[ERR_PGDOCK_TOO_MANY_JOBS] This run has ${over} workers (--jobs ${over}), more than the ${CEILING} the server is sized for (maxJobs, the default)`);
    expect(out).to.contain(`Hint: Set PGDOCK_MAX_JOBS=${over} (or "maxJobs": ${over} in package.json#pgdock)`);
    expect(out, 'no stack frames').to.not.match(/^\s+at /m);
    expect(out.split('ERR_PGDOCK_TOO_MANY_JOBS').length - 1, 'said once, by mocha\'s main process, before any worker starts').to.equal(1);
    expect(project.resultFiles(), 'no spec file ran').to.deep.equal([]);

    const small = await project.mocha(['--parallel', '--jobs', '3'], { ...env, PGDOCK_MAX_JOBS: '2' }).done;
    expect(small.code).to.not.equal(0);
    expect(small.stdout + small.stderr).to.contain('[ERR_PGDOCK_TOO_MANY_JOBS] This run has 3 workers (--jobs 3), more than the 2 the server is sized for (maxJobs, from PGDOCK_MAX_JOBS)');
    expect(project.resultFiles()).to.deep.equal([]);
    await watch.stop();
    expect([...watch.ids], 'the refused runs started no server').to.deep.equal([server!.id]);

    // Following the hint works: that many workers run (here on a server of the same size: max_connections is rounded up to 50).
    const sized = await project.mocha(['--parallel', '--jobs', String(over)], { ...env, PGDOCK_MAX_JOBS: String(over) }).done;
    expect(sized.code, sized.stdout + sized.stderr).to.equal(0);
    expect(capacitySeen(project)[0]?.max).to.be.at.least(over * 14 + 3);
  });
});
