import { expect } from 'chai';
import { ErrorCodes, startProcess } from '../../../lib/index.js';
import { pgdockRejection } from '../../support/should-fail.js';
import { eventually, groupMembers, nodeScript } from '../../support/process-listing.js';

/** A process that starts a grandchild (in its group) and prints both pids. */
const WITH_GRANDCHILD = `const c = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
console.log('pids ' + process.pid + ' ' + c.pid); setInterval(() => {}, 1000);`;

describe('startProcess: stopping a process group', function () {
  it('stop() sends SIGTERM to the whole group (grandchildren too) and resolves once all of it is gone', async function () {
    const started = await startProcess({ ...nodeScript(WITH_GRANDCHILD), ready: { log: /pids (\d+) (\d+)/ } });
    const grandchild = Number(started.ready?.[2]);
    expect(groupMembers(started.pid)).to.have.members([started.pid, grandchild]);
    const exit = await started.stop();
    expect(exit).to.deep.equal({ code: null, signal: 'SIGTERM' });
    expect(groupMembers(started.pid)).to.deep.equal([]);
    expect(await started.stop(), 'idempotent').to.deep.equal(exit);
  });

  it('a process ignoring SIGTERM is SIGKILLed after stopGrace', async function () {
    const started = await startProcess({ ...nodeScript(`process.on('SIGTERM', () => console.log('ignoring SIGTERM')); console.log('up'); setInterval(() => {}, 1000)`), ready: { log: /up/ }, stopGrace: 800 });
    const begun = Date.now();
    const exit = await started.stop();
    expect(Date.now() - begun, 'waited the grace').to.be.at.least(750);
    expect(exit.signal).to.equal('SIGKILL');
    expect(started.output()).to.contain('ignoring SIGTERM');
    expect(groupMembers(started.pid)).to.deep.equal([]);
  });

  it('must fail: a process that exits on SIGTERM is not waited for the grace, and is not SIGKILLed', async function () {
    const started = await startProcess({ ...nodeScript(`console.log('up'); setInterval(() => {}, 1000)`), ready: { log: /up/ }, stopGrace: 5_000 });
    const begun = Date.now();
    expect((await started.stop()).signal).to.equal('SIGTERM');
    expect(Date.now() - begun).to.be.below(4_000);
  });

  it('kill() signals the group; exited resolves with how it ended', async function () {
    const started = await startProcess({ ...nodeScript(WITH_GRANDCHILD), ready: { log: /pids (\d+) (\d+)/ } });
    started.kill('SIGKILL');
    expect(await started.exited).to.deep.equal({ code: null, signal: 'SIGKILL' });
    expect(await eventually(() => groupMembers(started.pid).length === 0, 5_000), 'the grandchild went too').to.equal(true);
  });

  describe('waitForOutput', function () {
    it('resolves with a line already printed or printed later', async function () {
      const started = await startProcess({ ...nodeScript(`console.log('job 1 running'); setTimeout(() => console.log('job 3 running'), 300); setInterval(() => {}, 1000)`), ready: { log: /job 1/ } });
      expect((await started.waitForOutput(/job (1) running/, 1_000))[1]).to.equal('1');
      expect((await started.waitForOutput(/job (3) running/, 5_000))[1]).to.equal('3');
    });

    it('must fail: rejects with the output on timeout, and when the process exits first', async function () {
      const idle = await startProcess({ ...nodeScript(`console.log('waiting'); setInterval(() => {}, 1000)`), ready: { log: /waiting/ } });
      const late = await pgdockRejection(idle.waitForOutput(/job 9/, 300));
      expect(late.code).to.equal(ErrorCodes.PROCESS_NOT_READY);
      expect(late.message).to.contain('printed no line matching /job 9/ within 300 ms').and.contain('| waiting');
      const ending = await startProcess({ ...nodeScript(`console.log('up'); setTimeout(() => { console.log('giving up'); process.exit(2); }, 200)`), ready: { log: /up/ } });
      const gone = await pgdockRejection(ending.waitForOutput(/job 9/, 10_000));
      expect(gone.code).to.equal(ErrorCodes.PROCESS_EXITED);
      expect(gone.message).to.contain('exited (exit code 2)').and.contain('| giving up');
    });
  });
});
