import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectServers } from '../support/server-watch.js';
import { SampleProject, UNIT_SPEC, useSampleProjects } from '../support/sample-project.js';

describe('invalid options in a user\'s run', function () {
  this.timeout(60_000);
  const newProject = useSampleProjects();

  it('--parallel --jobs 4: every bad option in one message, printed once by mocha\'s main process, and the run fails', async function () {
    const project = await newProject({ ...SampleProject.recordingFiles(6), 'unit.spec.js': UNIT_SPEC });
    writeFileSync(join(project.dir, 'package.json'), JSON.stringify({ name: 'sample', private: true, type: 'module', pgdock: { resue: true, poolSize: 'lots' } }));
    const result = await project.mocha(['--parallel', '--jobs', '4'], { PGDOCK_RESUE: '1' }).done;
    const output = `${result.stdout}\n${result.stderr}`;
    const shown = `exit ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
    expect(result.code, shown).to.not.equal(0);
    expect(output.match(/ERR_PGDOCK_INVALID_OPTION/g) ?? [], shown).to.have.length(1);
    expect(output, shown).to.contain('3 pgdock options are invalid:');
    expect(output, shown).to.contain(`\`resue\` is not a pgdock option (from ${join(project.dir, 'package.json')}#pgdock); did you mean \`reuse\`?`);
    expect(output, shown).to.match(/Expected the `poolSize` option to be a whole number from 0 to 64, got `"lots"` \(string\) \(from .*package\.json#pgdock\)/);
    expect(output, shown).to.contain('The environment variable PGDOCK_RESUE is not a pgdock option (from the environment); did you mean PGDOCK_REUSE?');
    expect(output, 'workers add nothing').to.not.match(/Uncaught error outside test suite|global teardown|passing|failing/);
    expect(output, 'no stack frames').to.not.match(/^\s+at /m);
    expect(project.results(), 'no test ran').to.deep.equal([]);
    expect(await projectServers(project.projectKey), 'no server started').to.deep.equal([]);
  });
});
