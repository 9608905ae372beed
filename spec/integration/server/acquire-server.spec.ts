import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { acquireServerFor } from '../../../lib/server/acquire-server.js';
import { ErrorCodes } from '../../../lib/errors.js';
import { DEFAULT_IMAGE } from '../../../lib/config/options.js';
import { imageHint } from '../../../lib/server/docker/engine.js';
import { releaseLease } from '../../../lib/server/release-server.js';
import { projectKey, serverPaths } from '../../../lib/coordination/server-key.js';
import { docker, projectContainers } from '../../support/server-watch.js';
import { onlyOn } from '../../support/spec-provider.js';
import { isolatedOptions } from '../../support/isolated-server.js';
import { TEST_IMAGE } from '../../support/paths.js';
import { pgdockRejection } from '../../support/should-fail.js';
import { queryServer } from '../../support/server-query.js';

describe('acquireServerFor on the docker provider (real engine)', function () {
  this.timeout(90_000);
  before(function () {
    onlyOn(this, ['docker'], 'these check containers, labels and the Docker engine');
  });
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async function () {
    while (cleanups.length) await cleanups.pop()!();
  });
  function isolated(input = {}) {
    const iso = isolatedOptions({ provider: 'docker', ...input });
    cleanups.push(iso.cleanup);
    return iso;
  }

  it('starts a server with the speed settings, data on tmpfs at the image PGDATA, and the user args', async function () {
    const { options, run } = isolated({ postgresArgs: ['-c', 'wal_level=logical'] });
    const info = await acquireServerFor(options, run);
    const [row] = await queryServer<Record<string, string>>(info, `select current_setting('fsync') f, current_setting('synchronous_commit') s,
      current_setting('full_page_writes') p, current_setting('wal_level') w, current_setting('data_directory') d`);
    expect(row).to.deep.equal({ f: 'off', s: 'off', p: 'off', w: 'logical', d: '/var/lib/postgresql/data' });
    const inspect = await docker.getContainer(info.containerId!).inspect();
    expect(Object.keys(inspect.HostConfig.Tmpfs ?? {})).to.deep.equal(['/var/lib/postgresql/data']);
    expect(inspect.HostConfig.PortBindings?.['5432/tcp']?.[0]?.HostIp).to.equal('127.0.0.1');
    expect(inspect.Config.Labels).to.include({ pgdock: '1' });
  });

  it('rebuilds a corrupt state file from Docker labels instead of crashing', async function () {
    const { options, run } = isolated({ reuse: true });
    const first = await acquireServerFor(options, run);
    writeFileSync(serverPaths({ ...options, provider: 'docker' }).stateFile, '{ this is not json');
    const second = await acquireServerFor(options, run);
    expect(second.containerId).to.equal(first.containerId);
    expect(second.password).to.equal(first.password);
    expect(await projectContainers(projectKey(options))).to.have.length(1);
  });

  it('a state file naming a container that no longer exists: starts a new one', async function () {
    const { options, run } = isolated({ reuse: true });
    const first = await acquireServerFor(options, run);
    await docker.getContainer(first.containerId!).remove({ force: true, v: true });
    const second = await acquireServerFor(options, run);
    expect(second.containerId).to.not.equal(first.containerId);
    expect(await queryServer(second, 'select 1 as one')).to.deep.equal([{ one: 1 }]);
  });

  it('the last lease removes the container when reuse is off, not before', async function () {
    const { options, run } = isolated();
    const other = { ...run, runId: `${run.runId}-other` };
    const info = await acquireServerFor(options, run);
    await acquireServerFor(options, other);
    const dir = serverPaths({ ...options, provider: 'docker' }).dir;
    expect((await releaseLease(dir, run.runId, options)).removed).to.deep.equal([]);
    expect((await docker.getContainer(info.containerId!).inspect()).State.Running).to.equal(true);
    expect((await releaseLease(dir, other.runId, options)).removed).to.deep.equal([info.containerId]);
  });

  it('a bad postgres argument: ERR_PGDOCK_CONTAINER_FAILED with the container log tail, container removed', async function () {
    const { options, run } = isolated({ postgresArgs: ['-c', 'no_such_setting=1'] });
    const err = await pgdockRejection(acquireServerFor(options, run));
    expect(err.code).to.equal(ErrorCodes.CONTAINER_FAILED);
    expect(err.message).to.contain('unrecognized configuration parameter "no_such_setting"');
    expect(err.message).to.match(/\nHint: Check PGDOCK_POSTGRES_ARGS/);
    expect(err.message).to.not.match(/POSTGRES_PASSWORD=(?!\*\*\*)/);
    expect(await projectContainers(projectKey(options))).to.have.length(0);
  });

  it('a server that never answers SQL: ERR_PGDOCK_STARTUP_TIMEOUT with the last log lines', async function () {
    // Long enough for initdb to finish and the server to say it is ready, on a busy machine too.
    const { options, run } = isolated({ postgresArgs: ['-c', "listen_addresses="], startupTimeout: 10_000 });
    const started = Date.now();
    const err = await pgdockRejection(acquireServerFor(options, run));
    expect(err.code).to.equal(ErrorCodes.STARTUP_TIMEOUT);
    expect(err.message).to.contain('did not answer SQL within 10000 ms');
    expect(err.message).to.contain('database system is ready to accept connections');
    expect(Date.now() - started).to.be.lessThan(30_000);
  });

  it('the same run replays the recorded failure at once; a new run tries again', async function () {
    const { options, run } = isolated({ image: 'pgdock-test/does-not-exist:never' });
    const first = await pgdockRejection(acquireServerFor(options, run));
    const started = Date.now();
    const replay = await pgdockRejection(acquireServerFor(options, run));
    expect(Date.now() - started).to.be.lessThan(1_000);
    expect(replay.message).to.equal(first.message);
    expect(replay.code).to.equal(ErrorCodes.IMAGE_MISSING);
    for (const way of ['PGDOCK_PROVIDER=embedded', 'PGDOCK_IMAGE=', 'PGDOCK_URL=']) expect(first.hint, 'names the ways round it').to.contain(way);
    // The default image is pulled only on machines that have no copy; its hint says the same, first naming the registry.
    expect(imageHint(DEFAULT_IMAGE)).to.match(/^The default image could not be pulled \(no registry access\?\)\. Use PGDOCK_PROVIDER=embedded .*PGDOCK_IMAGE=.*PGDOCK_URL=/);
    const fixed = { ...options, image: TEST_IMAGE };
    // A new run with a fixed image is not poisoned by the old run's failure (another key, another run).
    const info = await acquireServerFor(fixed, { ...run, runId: `${run.runId}-next` });
    expect(info.port).to.be.greaterThan(0);
  });

  it('no engine at DOCKER_HOST: ERR_PGDOCK_DOCKER_UNAVAILABLE naming the socket', async function () {
    const { options, run } = isolated();
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = 'unix:///tmp/pgdock-no-such-docker.sock';
    try {
      const err = await pgdockRejection(acquireServerFor(options, run));
      expect(err.code).to.equal(ErrorCodes.DOCKER_UNAVAILABLE);
      expect(err.message).to.contain('DOCKER_HOST=unix:///tmp/pgdock-no-such-docker.sock');
      expect(err.message).to.contain('Hint: Start the engine behind DOCKER_HOST');
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });
});
