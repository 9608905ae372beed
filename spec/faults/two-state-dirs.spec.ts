import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectServers } from '../support/server-watch.js';
import { useSampleProjects } from '../support/sample-project.js';

/**
 * A test that queries the shared server every 200 ms until the file SAMPLE_RELEASE exists (at most
 * 2 minutes; once without SAMPLE_RELEASE), then records that it could: the long run stays live for exactly as long as the spec needs.
 */
const HOLDING_SPEC = (name: string) => `import { existsSync, writeFileSync } from 'node:fs';
describe('${name}', function () {
  it('keeps querying the shared server', async function () {
    this.timeout(180000);
    const until = Date.now() + 120000;
    for (let i = 0; i === 0 || (process.env.SAMPLE_RELEASE && !existsSync(process.env.SAMPLE_RELEASE) && Date.now() < until); i++) {
      await this.pg.sql\`select 1\`;
      if (i === 0) writeFileSync(process.env.SAMPLE_RESULTS + '/started-' + process.env.SAMPLE_LABEL + '-${name}', '');
      await new Promise((r) => setTimeout(r, 200));
    }
    await this.pg.sql\`select 1\`;
    writeFileSync(process.env.SAMPLE_RESULTS + '/done-' + process.env.SAMPLE_LABEL + '-${name}', '');
  });
});
`;

describe('faults: one project, two state folders', function () {
  this.timeout(180_000);
  const newProject = useSampleProjects();

  it('a reuse-off run with another state folder ends while a run holds the server: the live run passes', async function () {
    const project = await newProject({ 'a.spec.js': HOLDING_SPEC('a'), 'b.spec.js': HOLDING_SPEC('b') });
    const release = join(project.dir, 'release');
    const long = project.mocha(['--parallel', '--jobs', '2'], { SAMPLE_LABEL: 'long', SAMPLE_RELEASE: release, PGDOCK_STATE_DIR: join(project.dir, 'state-long') });
    while (project.resultFiles().filter((f) => f.startsWith('started-long-')).length < 2) await new Promise((r) => setTimeout(r, 50));
    const short = await project.mocha(['--parallel', '--jobs', '2'], { SAMPLE_LABEL: 'short', PGDOCK_STATE_DIR: join(project.dir, 'state-short'), PGDOCK_REUSE: 'false' }).done;
    expect(short.code, short.stdout + short.stderr).to.equal(0);
    const longDoneEarly = project.resultFiles().filter((f) => f.startsWith('done-long-')).length;
    // The long run's tests query the server once more after this: it must still be there.
    writeFileSync(release, '');
    const longResult = await long.done;
    expect(longResult.code, `the live run passes\n${longResult.stdout}${longResult.stderr}`).to.equal(0);
    expect(longDoneEarly, 'the short run ended while the long one still ran').to.equal(0);
    expect(project.resultFiles().filter((f) => f.startsWith('done-')), 'every test of both runs finished').to.have.length(4);
    expect(await projectServers(project.projectKey), 'the last run out removed the server').to.deep.equal([]);
  });
});
