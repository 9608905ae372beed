import { expect } from 'chai';
import { rmSync } from 'node:fs';
import postgres from 'postgres';
import { acquireServerFor } from '../../../lib/server/acquire-server.js';
import { runtimeDirOf } from '../../../lib/server/providers/embedded-runtime.js';
import { checkServerGone } from '../../../lib/server/server-check.js';
import { isLostConnection } from '../../../lib/server/server-gone.js';
import { connectionUrl, type ServerInfo } from '../../../lib/server/server-info.js';
import { isolatedOptions } from '../../support/isolated-server.js';
import { docker, projectServers } from '../../support/server-watch.js';
import { onlyOn } from '../../support/spec-provider.js';

/** The error a real postgres.js query gets from `run`. */
async function errorOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  throw new Error('expected the query to fail');
}

/** A port nothing listens on: the kernel handed it out and it was closed again. */
async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe('checking a server that stopped answering (lib/server/server-check, lib/server/server-gone)', function () {
  this.timeout(90_000);
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async function () {
    while (cleanups.length) await cleanups.pop()!();
  });
  async function startServer(): Promise<{ info: ServerInfo; projectKey: string }> {
    const iso = isolatedOptions();
    cleanups.push(iso.cleanup);
    const info = await acquireServerFor(iso.options, iso.run);
    const { projectKey } = await import('../../../lib/coordination/server-key.js');
    return { info, projectKey: projectKey(iso.options) };
  }

  it('the errors drivers give for a lost connection are recognised, others are not; a running server is not gone', async function () {
    const { info } = await startServer();
    const refused = postgres(connectionUrl({ ...info, port: await closedPort() }), { max: 1, onnotice: () => {} });
    const sql = postgres(connectionUrl(info), { max: 1, onnotice: () => {} });
    const admin = postgres(connectionUrl(info), { max: 1, onnotice: () => {} });
    try {
      const econnrefused = await errorOf(() => refused`select 1`);
      expect((econnrefused as { code?: string }).code).to.equal('ECONNREFUSED');
      const [row] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
      const terminated = errorOf(() => sql`select pg_sleep(30)`);
      await new Promise((r) => setTimeout(r, 200));
      await admin`select pg_terminate_backend(${row!.pid})`;
      const closed = await terminated;
      expect((closed as { code?: string }).code).to.be.oneOf(['CONNECTION_CLOSED', '57P01']);
      // How the pool thread reports a claim that lost its connection, and what pg and psql say.
      const reported = [
        new Error('pgdock could not claim a schema pair: write CONNECTION_CLOSED 127.0.0.1:5432'),
        Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
        new Error('Connection terminated unexpectedly'),
      ];
      for (const err of [econnrefused, closed, ...reported]) {
        expect(isLostConnection(err), String(err)).to.equal(true);
      }
      const syntax = await errorOf(() => admin`select from no_such_table`);
      for (const err of [syntax, new Error('expected 2 to equal 3'), undefined, 'ECONNREFUSED']) {
        expect(isLostConnection(err), String(err)).to.equal(false);
      }
      // A lost connection alone is no alarm: the server still runs (asked as its provider, and as an external one by SQL).
      expect(await checkServerGone(info)).to.equal(undefined);
      expect(await checkServerGone({ ...info, provider: 'external' })).to.equal(undefined);
    } finally {
      await Promise.all([refused, sql, admin].map((c) => c.end({ timeout: 1 })));
    }
  });

  it('docker: a container that exited names its exit code and when; a removed one says removed', async function () {
    onlyOn(this, ['docker'], 'checks containers');
    const { info } = await startServer();
    const container = docker.getContainer(info.containerId!);
    expect(await checkServerGone(info), 'running').to.equal(undefined);
    await container.kill();
    const exited = await checkServerGone(info);
    expect(exited?.what).to.equal(`Docker container ${info.containerId!.slice(0, 12)} exited with code 137`);
    expect(Date.now() - (exited?.since ?? 0), 'since: when it stopped').to.be.within(0, 30_000);
    expect(exited?.hint).to.match(/^Run again; the next run starts a new server/);
    await container.remove({ force: true, v: true });
    const removed = await checkServerGone(info);
    expect(removed?.what).to.equal(`Docker container ${info.containerId!.slice(0, 12)} was removed`);
    expect(removed?.since).to.equal(undefined);
  });

  it('embedded: a SIGKILLed postmaster is named by pid and port', async function () {
    onlyOn(this, ['embedded'], 'checks the embedded postmaster');
    const { info, projectKey } = await startServer();
    expect((await projectServers(projectKey)).map((s) => s.id)).to.deep.equal([String(info.pid)]);
    const folder = runtimeDirOf(info.pid!);
    expect(await checkServerGone(info), 'running').to.equal(undefined);
    process.kill(info.pid!, 'SIGKILL');
    // The cleanup finds live postmasters only: the folder of this one is the test's to remove.
    cleanups.push(async () => rmSync(folder!, { recursive: true, force: true }));
    const deadline = Date.now() + 10_000;
    let gone = await checkServerGone(info);
    while (!gone && Date.now() < deadline) gone = await checkServerGone(info);
    expect(gone?.what).to.equal(`the embedded postmaster (pid ${info.pid}, port ${info.port}) is no longer running`);
    rmSync(folder!, { recursive: true, force: true });
    expect((await checkServerGone(info))?.what).to.equal(`the embedded postmaster (pid ${info.pid}, port ${info.port}) is no longer running and its data folder is gone`);
  });

  it('docker: when the engine does not answer either, says so and what to start', async function () {
    const before = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = 'unix:///run/pgdock-spec-no-engine.sock';
    try {
      const port = await closedPort();
      const gone = await checkServerGone({ provider: 'docker', containerId: 'f'.repeat(64), host: '127.0.0.1', port, user: 'u', password: 'p', database: 'd', image: 'x' });
      expect(gone?.what).to.equal('Docker container ffffffffffff does not answer, and neither does the engine (No Docker engine answered at DOCKER_HOST=unix:///run/pgdock-spec-no-engine.sock: ENOENT)');
      expect(gone?.hint).to.match(/^Start Docker again/);
    } finally {
      if (before === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = before;
    }
  });

  it('external: a server that refuses connections is named by host and port, with the driver\'s reason', async function () {
    const port = await closedPort();
    const gone = await checkServerGone({ provider: 'external', host: '127.0.0.1', port, user: 'u', password: 'secret-pw', database: 'd', image: 'external' });
    expect(gone?.what).to.match(new RegExp(`^the external server at 127\\.0\\.0\\.1:${port} no longer answers SQL \\(.*ECONNREFUSED`));
    expect(gone?.hint).to.match(/pgdock never starts or stops an external server/);
    expect(JSON.stringify(gone)).to.not.contain('secret-pw');
  });
});
