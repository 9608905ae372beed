import { expect } from 'chai';
import { projectServers } from '../support/server-watch.js';
import { onlyOn } from '../support/spec-provider.js';
import { useSampleProjects } from '../support/sample-project.js';

/** A test that holds the server (queries it) until the file STOP appears in its results folder. */
const HOLDING_SPEC = `import { existsSync, writeFileSync } from 'node:fs';
describe('holder', function () {
  it('holds the server until told to stop', async function () {
    this.timeout(120000);
    await this.pg.sql\`select 1\`;
    writeFileSync(process.env.SAMPLE_RESULTS + '/started', '');
    while (!existsSync(process.env.SAMPLE_RESULTS + '/STOP')) await new Promise((r) => setTimeout(r, 100));
  });
});
`;

describe('faults: the CLI never removes a server a live run holds', function () {
  this.timeout(180_000);
  const newProject = useSampleProjects();

  it('`pgdock down` lists a held server and leaves it; `--force` removes it', async function () {
    onlyOn(this, ['docker', 'embedded'], 'pgdock removes no external server');
    const project = await newProject({ 'holder.spec.js': HOLDING_SPEC });
    const reuse = { PGDOCK_REUSE: 'true' };
    const run = project.mocha([], reuse);
    while (!project.resultFiles().includes('started')) await new Promise((r) => setTimeout(r, 50));
    const down = await project.cli(['down'], reuse).done;
    expect(down.code, down.stderr).to.equal(0);
    expect(down.stdout).to.match(/^kept (container [0-9a-f]{12}|postmaster \d+) \(.*\): held by 1 live run\(s\) \(pid \d+\); `pgdock down --force` removes it anyway\n$/);
    expect(await projectServers(project.projectKey), 'still there').to.have.length(1);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${project.resultsDir}/STOP`, '');
    const passed = await run.done;
    expect(passed.code, 'the holding run passes').to.equal(0);

    const again = project.mocha([], reuse);
    project.resetResults();
    while (!project.resultFiles().includes('started')) await new Promise((r) => setTimeout(r, 50));
    const forced = await project.cli(['down', '--force'], reuse).done;
    expect(forced.stdout).to.match(/^removed (container [0-9a-f]{12}|postmaster \d+)/);
    expect(await projectServers(project.projectKey)).to.deep.equal([]);
    writeFileSync(`${project.resultsDir}/STOP`, '');
    await again.done;
  });

  it('`pgdock prune` leaves a server without a lease while it is younger than its start-up window', async function () {
    // On docker, prune acts on every pgdock container of the engine, other spec files' included.
    onlyOn(this, ['embedded'], 'prune on docker looks at every pgdock container of the shared engine, other spec files\' too');
    const project = await newProject({ 'holder.spec.js': HOLDING_SPEC });
    const reuse = { PGDOCK_REUSE: 'true' };
    const run = project.mocha([], reuse);
    while (!project.resultFiles().includes('started')) await new Promise((r) => setTimeout(r, 50));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${project.resultsDir}/STOP`, '');
    expect((await run.done).code).to.equal(0);
    const young = await project.cli(['prune'], { ...reuse, PGDOCK_STARTUP_TIMEOUT: '600000' }).done;
    expect(young.stdout).to.match(/^kept postmaster \d+ \(.*\): started \d+s ago, within its 600s start-up window\n$/);
    expect(await projectServers(project.projectKey)).to.have.length(1);
    await new Promise((r) => setTimeout(r, 1_100));
    const old = await project.cli(['prune'], { ...reuse, PGDOCK_STARTUP_TIMEOUT: '1000' }).done;
    expect(old.stdout).to.match(/^removed postmaster \d+/);
    expect(await projectServers(project.projectKey)).to.deep.equal([]);
  });
});
