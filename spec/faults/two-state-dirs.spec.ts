import { expect } from 'chai';
import { join } from 'node:path';
import { projectServers } from '../support/server-watch.js';
import { useSampleProjects } from '../support/sample-project.js';

/** A test that keeps using the server for SAMPLE_ROUNDS × 200 ms, then records that it could. */
const HOLDING_SPEC = (name: string) => `import { writeFileSync } from 'node:fs';
describe('${name}', function () {
  it('keeps querying the shared server', async function () {
    this.timeout(120000);
    const rounds = Number(process.env.SAMPLE_ROUNDS || 1);
    for (let i = 0; i < rounds; i++) {
      await this.pg.sql\`select 1\`;
      if (i === 0) writeFileSync(process.env.SAMPLE_RESULTS + '/started-' + process.env.SAMPLE_LABEL + '-${name}', '');
      await new Promise((r) => setTimeout(r, 200));
    }
    writeFileSync(process.env.SAMPLE_RESULTS + '/done-' + process.env.SAMPLE_LABEL + '-${name}', '');
  });
});
`;

describe('faults: one project, two state folders', function () {
  this.timeout(180_000);
  const newProject = useSampleProjects();

  it('a reuse-off run with another state folder ends while a run holds the server: the live run passes', async function () {
    const project = await newProject({ 'a.spec.js': HOLDING_SPEC('a'), 'b.spec.js': HOLDING_SPEC('b') });
    const long = project.mocha(['--parallel', '--jobs', '2'], { SAMPLE_LABEL: 'long', SAMPLE_ROUNDS: '40', PGDOCK_STATE_DIR: join(project.dir, 'state-long') });
    while (project.resultFiles().filter((f) => f.startsWith('started-long-')).length < 2) await new Promise((r) => setTimeout(r, 50));
    const short = await project.mocha(['--parallel', '--jobs', '2'], { SAMPLE_LABEL: 'short', SAMPLE_ROUNDS: '1', PGDOCK_STATE_DIR: join(project.dir, 'state-short'), PGDOCK_REUSE: 'false' }).done;
    expect(short.code, short.stdout + short.stderr).to.equal(0);
    const longDoneEarly = project.resultFiles().filter((f) => f.startsWith('done-long-')).length;
    const longResult = await long.done;
    expect(longResult.code, `the live run passes\n${longResult.stdout}${longResult.stderr}`).to.equal(0);
    expect(longDoneEarly, 'the short run ended while the long one still ran').to.equal(0);
    expect(project.resultFiles().filter((f) => f.startsWith('done-')), 'every test of both runs finished').to.have.length(4);
    expect(await projectServers(project.projectKey), 'the last run out removed the server').to.deep.equal([]);
  });
});
