import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { expect } from 'chai';
import { startProcess } from '../../../lib/index.js';
import { startTimeOf } from '../../../lib/processes/group-identity.js';
import { ProcessGroup } from '../../../lib/processes/process-group.js';
import { eventually, groupMembers, nodeScript } from '../../support/process-listing.js';

/** A detached group of this spec's own (its leader is our child). */
function ownGroup(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
}

async function killOwn(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

describe('processes/process-group: only the group started is ever signalled', function () {
  it('signals a group whose leader is the process recorded (same start time)', async function () {
    const leader = ownGroup();
    try {
      const group = new ProcessGroup(leader.pid!);
      expect(group.startTime).to.equal(startTimeOf(leader.pid!)).and.to.be.a('string');
      expect(group.signal('SIGKILL')).to.equal(true);
      expect((await once(leader, 'exit'))[1]).to.equal('SIGKILL');
    } finally {
      await killOwn(leader);
    }
  });

  it('must fail (fake start time, as after a pid reuse): a group whose leader is another process is not signalled', async function () {
    const stranger = ownGroup();
    try {
      const group = new ProcessGroup(stranger.pid!, '1');
      expect(group.alive()).to.equal(false);
      expect(group.signal('SIGKILL')).to.equal(false);
      await new Promise((r) => setTimeout(r, 200));
      expect(groupMembers(stranger.pid!)).to.deep.equal([stranger.pid]);
    } finally {
      await killOwn(stranger);
    }
  });

  it('must fail: a group whose leader was reaped and whose members are all gone is not signalled', async function () {
    const leader = ownGroup();
    const group = new ProcessGroup(leader.pid!);
    await killOwn(leader);
    expect(groupMembers(leader.pid!)).to.deep.equal([]);
    expect(group.alive()).to.equal(false);
    expect(group.signal('SIGTERM')).to.equal(false);
  });

  it('a leader that exited while its children keep the group: stop() still stops them (members remain, so the group is ours)', async function () {
    const started = await startProcess({
      ...nodeScript(`const c = require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }); process.on('SIGUSR2', () => process.exit(0)); console.log('child ' + c.pid); setInterval(() => {}, 1000)`),
      ready: { log: /child (\d+)/ },
      timeout: 10_000,
    });
    const child = Number(started.ready?.[1]);
    process.kill(started.pid, 'SIGUSR2'); // the leader alone
    expect(await started.exited).to.deep.equal({ code: 0, signal: null });
    expect(groupMembers(started.pid), 'the leader is gone, its child keeps the group').to.deep.equal([child]);
    await started.stop();
    expect(await eventually(() => groupMembers(started.pid).length === 0, 5_000), 'the child went').to.equal(true);
  });
});
