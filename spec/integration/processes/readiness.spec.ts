import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { ErrorCodes, startProcess } from '../../../lib/index.js';
import { pgdockRejection } from '../../support/should-fail.js';
import { eventually, groupMembers, nodeScript } from '../../support/process-listing.js';

/** A process that never exits by itself and prints nothing. */
const IDLE = 'setInterval(() => {}, 1000)';

/** A node HTTP server on an ephemeral port answering `status`, printing its port. */
function httpServer(status: number): string {
  return `const s = require('node:http').createServer((q, r) => { r.statusCode = ${status}; r.end('x'); });
s.listen(0, '127.0.0.1', () => console.log('port ' + s.address().port));`;
}

describe('startProcess: readiness', function () {
  describe('{ log }', function () {
    it('is ready at the first matching line, and hands back its match', async function () {
      const started = await startProcess({ ...nodeScript(`console.log('booting'); setTimeout(() => console.log('listening on port 4711'), 200); ${IDLE}`), ready: { log: /listening on port (\d+)/ } });
      expect(started.ready?.[1]).to.equal('4711');
      expect(started.output()).to.equal('booting\nlistening on port 4711');
      expect(groupMembers(started.pid)).to.include(started.pid);
    });

    it('matches stderr lines too', async function () {
      const started = await startProcess({ ...nodeScript(`console.error('ready to serve'); ${IDLE}`), ready: { log: 'ready to serve' } });
      expect(started.ready?.[0]).to.equal('ready to serve');
    });

    it('must fail: a line that never comes times out with ERR_PGDOCK_PROCESS_NOT_READY, and the process is stopped', async function () {
      const err = await pgdockRejection(startProcess({ ...nodeScript(`console.log('almost ready'); ${IDLE}`), ready: { log: /ready to serve/ }, timeout: 3_000 }));
      expect(err.code).to.equal(ErrorCodes.PROCESS_NOT_READY);
      expect(err.message).to.match(/process node was not ready within 3000 ms \(no output line matched \/ready to serve\/\) and was stopped/);
      expect(err.message).to.contain('| almost ready');
      const pid = Number(err.context.pid);
      expect(pid).to.be.greaterThan(0);
      expect(groupMembers(pid), 'the process group is gone once the error is thrown').to.deep.equal([]);
    });

    it('matches a prompt printed without a newline, once its output is quiet', async function () {
      const started = await startProcess({ ...nodeScript(`console.log('booting'); process.stdout.write('ready> '); ${IDLE}`), ready: { log: /^ready> $/ }, timeout: 5_000 });
      expect(started.ready?.[0]).to.equal('ready> ');
      expect(started.output()).to.equal('booting\nready> ');
      expect(await started.waitForOutput(/^ready>/, 5_000)).to.have.property('index', 0);
    });
  });

  describe('{ port }', function () {
    it('is ready once a TCP connection succeeds', async function () {
      const started = await startProcess({
        ...nodeScript(`setTimeout(() => require('node:net').createServer().listen(0, '127.0.0.1', function () { console.log('port ' + this.address().port); }), 300); ${IDLE}`),
        ready: { log: /port (\d+)/ },
      });
      const port = Number(started.ready?.[1]);
      // A second process waits for the first one's port: a port that does listen.
      const waiter = await startProcess({ ...nodeScript(IDLE), ready: { port }, timeout: 5_000 });
      expect(waiter.ready).to.equal(undefined);
    });

    it('must fail: a port nobody listens on times out, naming the refusal', async function () {
      const closed = await freePort();
      const err = await pgdockRejection(startProcess({ ...nodeScript(IDLE), ready: { port: closed }, timeout: 3_000 }));
      expect(err.code).to.equal(ErrorCodes.PROCESS_NOT_READY);
      expect(err.message).to.contain(`connecting to 127.0.0.1:${closed}: ECONNREFUSED`);
    });
  });

  describe('{ url }', function () {
    it('is ready when the URL answers 2xx', async function () {
      const server = await startProcess({ ...nodeScript(httpServer(200)), ready: { log: /port (\d+)/ } });
      const ready = await startProcess({ ...nodeScript(IDLE), ready: { url: `http://127.0.0.1:${server.ready?.[1]}/health` } });
      expect(ready.pid).to.be.greaterThan(0);
    });

    it('must fail: a URL answering 500 is not ready (times out with the status)', async function () {
      const server = await startProcess({ ...nodeScript(httpServer(500)), ready: { log: /port (\d+)/ } });
      const err = await pgdockRejection(startProcess({ ...nodeScript(IDLE), ready: { url: `http://127.0.0.1:${server.ready?.[1]}/health` }, timeout: 3_000 }));
      expect(err.code).to.equal(ErrorCodes.PROCESS_NOT_READY);
      expect(err.message).to.contain('/health answered 500');
    });
  });

  describe('{ check }', function () {
    it('polls until the check says true', async function () {
      let calls = 0;
      await startProcess({ ...nodeScript(IDLE), ready: { check: async () => ++calls >= 3 } });
      expect(calls).to.equal(3);
    });

    it('must fail: a check that stays false (or throws) times out, with what it last said', async function () {
      const never = await pgdockRejection(startProcess({ ...nodeScript(IDLE), ready: { check: () => false }, timeout: 3_000 }));
      expect(never.message).to.contain('(the check returned false)');
      const throws = await pgdockRejection(startProcess({ ...nodeScript(IDLE), ready: { check: () => { throw new Error('no table jobs yet'); } }, timeout: 3_000 }));
      expect(throws.message).to.contain('(the check threw: no table jobs yet)');
    });
  });

  describe('early exit', function () {
    it('fails fast with ERR_PGDOCK_PROCESS_EXITED, its exit code and its output, not after the timeout', async function () {
      const started = Date.now();
      const err = await pgdockRejection(startProcess({ ...nodeScript(`console.error('cannot connect to the database'); process.exit(3)`), ready: { log: /listening/ }, timeout: 15_000 }));
      expect(err.code).to.equal(ErrorCodes.PROCESS_EXITED);
      expect(err.message).to.match(/process node exited \(exit code 3\) before it was ready/);
      expect(err.message).to.contain('| cannot connect to the database');
      expect(err.context).to.include({ code: 3 });
      expect(Date.now() - started, 'far less than the 15 s timeout').to.be.below(7_500);
    });

    it('names the signal that ended it', async function () {
      const err = await pgdockRejection(startProcess({ ...nodeScript(`process.kill(process.pid, 'SIGKILL')`), ready: { port: 1 } }));
      expect(err.message).to.contain('exited (signal SIGKILL) before it was ready');
    });

    it('a command that does not exist cannot be started (ERR_PGDOCK_PROCESS_EXITED, ENOENT)', async function () {
      const err = await pgdockRejection(startProcess({ command: 'pgdock-no-such-command-xyz' }));
      expect(err.code).to.equal(ErrorCodes.PROCESS_EXITED);
      expect(err.message).to.contain('cannot start pgdock-no-such-command-xyz: ENOENT');
    });
  });

  it('the readiness wait does not use up the test\'s timeout (1.5 s here, the process needs 1.8 s)', async function () {
    this.timeout(1_500);
    const started = await startProcess({ ...nodeScript(`setTimeout(() => console.log('up'), 1_800); ${IDLE}`), ready: { log: /up/ }, timeout: 5_000 });
    expect(started.output()).to.equal('up');
    expect(await eventually(() => groupMembers(started.pid).length > 0, 10)).to.equal(true);
  });

  it('without `ready` it is ready once spawned', async function () {
    const started = await startProcess({ ...nodeScript(`setTimeout(() => console.log('later'), 5_000); ${IDLE}`) });
    expect(started.output()).to.equal('');
    expect(groupMembers(started.pid)).to.deep.equal([started.pid]);
  });
});

/** A port that was free a moment ago (bound, then closed). */
async function freePort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
