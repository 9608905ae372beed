import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { expect } from 'chai';
import { processStartTime } from '../../../lib/coordination/process-liveness.js';
import { REPO_ROOT } from '../../support/paths.js';
import { eventually, groupMembers } from '../../support/process-listing.js';

const REAPER = `${REPO_ROOT}/dist/lib/processes/orphan-reaper.js`;

/** A detached group of our own that no pgdock process knows of. */
function ownGroup(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { detached: true, stdio: 'ignore' });
  return child;
}

async function reap(lines: string): Promise<void> {
  const reaper = spawn(process.execPath, [REAPER], { stdio: ['pipe', 'ignore', 'ignore'] });
  reaper.stdin.end(lines);
  await once(reaper, 'exit');
}

describe('the orphan reaper: a test process SIGKILLed leaves no started process behind', function () {
  it('stops the groups of a test process that was SIGKILLed (no handler of its own ran)', async function () {
    const script = `import { startProcess } from ${JSON.stringify(`${REPO_ROOT}/dist/lib/index.js`)};
const p = await startProcess({ command: process.execPath, args: ['-e', "process.on('SIGTERM', () => {}); require('node:child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']); console.log('up'); setInterval(() => {}, 1000)"], ready: { log: /up/ }, stopGrace: 300 });
console.log('started ' + p.pid);
setInterval(() => {}, 1000);`;
    const owner = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    owner.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    expect(await eventually(() => /started (\d+)/.test(out), 10_000), 'the owner started its process').to.equal(true);
    const pgid = Number(/started (\d+)/.exec(out)![1]);
    try {
      expect(groupMembers(pgid), 'must fail half: the group (leader and grandchild) runs while its owner lives').to.have.length(2);
      owner.kill('SIGKILL');
      expect(await eventually(() => groupMembers(pgid).length === 0, 10_000), 'the reaper stopped the group (SIGTERM ignored: SIGKILL)').to.equal(true);
    } finally {
      owner.kill('SIGKILL');
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
  });

  it('kills a recorded group once its pipe ends (leader checked by its start time)', async function () {
    const group = ownGroup();
    await reap(`+${group.pid} ${processStartTime(group.pid!)} 200\n`);
    expect(await eventually(() => groupMembers(group.pid!).length === 0, 5_000)).to.equal(true);
  });

  it('must fail: leaves alone a group whose leader is another process than the one recorded (pid reused), or one it was told is gone', async function () {
    const reused = ownGroup();
    const forgotten = ownGroup();
    try {
      await reap(`+${reused.pid} 1 200\n+${forgotten.pid} ${processStartTime(forgotten.pid!)} 200\n-${forgotten.pid}\n`);
      expect(groupMembers(reused.pid!)).to.deep.equal([reused.pid]);
      expect(groupMembers(forgotten.pid!)).to.deep.equal([forgotten.pid]);
    } finally {
      reused.kill('SIGKILL');
      forgotten.kill('SIGKILL');
      await Promise.all([once(reused, 'exit'), once(forgotten, 'exit')]);
    }
  });
});
