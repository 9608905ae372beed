import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasLease, isProcessAlive, liveLeasesOf, removeLease, sweepLeases, writeLease } from '../../../lib/coordination/leases.js';
import { readState, writeState } from '../../../lib/server/server-state.js';

describe('leases and the state file', function () {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pgdock-leases-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('sweeps the lease of a dead process and keeps a live one', function () {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeLease(dir, { runId: 'live', ownerPid: process.pid, managed: false });
    writeLease(dir, { runId: 'dead', ownerPid: dead, managed: false });
    writeFileSync(join(dir, 'garbage.json'), '{');
    expect(sweepLeases(dir).map((l) => l.runId)).to.deep.equal(['live']);
    expect(readdirSync(dir)).to.deep.equal(['live.json']);
    removeLease(dir, 'live');
    expect(hasLease(dir, 'live')).to.equal(false);
  });

  it('liveLeasesOf: the live leases in a state folder\'s leases/, dead ones swept; none when there is no folder', function () {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeLease(join(dir, 'leases'), { runId: 'live', ownerPid: process.pid, managed: false });
    writeLease(join(dir, 'leases'), { runId: 'dead', ownerPid: dead, managed: false });
    expect(liveLeasesOf(dir).map((l) => l.runId)).to.deep.equal(['live']);
    expect(readdirSync(join(dir, 'leases'))).to.deep.equal(['live.json']);
    expect(liveLeasesOf(join(dir, 'missing'))).to.deep.equal([]);
  });

  it('a lease whose pid was recycled by another process is dead', function () {
    writeLease(dir, { runId: 'recycled', ownerPid: process.pid, managed: false });
    const file = join(dir, 'recycled.json');
    const lease = JSON.parse(readFileSync(file, 'utf8')) as { pidStart?: string };
    expect(lease.pidStart, 'start time recorded on Linux').to.be.a('string');
    lease.pidStart = '1';
    writeFileSync(file, JSON.stringify(lease));
    expect(sweepLeases(dir)).to.deep.equal([]);
  });

  it('state file: atomic write and read; corrupt or foreign content reads as absent', function () {
    const file = join(dir, 'server.json');
    expect(readState(file)).to.equal(null);
    const state = { version: 1 as const, status: 'ready' as const, key: 'k', readyAt: 'now',
      info: { provider: 'docker' as const, host: 'h', port: 1, user: 'u', password: 'p', database: 'd', image: 'i' } };
    writeState(file, state);
    expect(readState(file)).to.deep.equal(state);
    expect(readdirSync(dir)).to.deep.equal(['server.json']);
    writeFileSync(file, '{"version":1,"status":"ready"');
    expect(readState(file)).to.equal(null);
    writeFileSync(file, '{"version":2}');
    expect(readState(file)).to.equal(null);
  });

  it('a zombie (killed, not yet reaped) is dead, though signal 0 still reaches it', async function () {
    // The shell becomes `sleep 5`, which never waits for its child: when the child (`sleep 1`)
    // ends after the exec, it stays a zombie.
    const shell = spawn('sh', ['-c', 'sleep 1 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = await new Promise<number>((resolve) => shell.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
      let state = '';
      for (let i = 0; i < 150 && state !== 'Z'; i++) {
        await new Promise((r) => setTimeout(r, 20));
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      }
      expect(state, 'the child is a zombie').to.equal('Z');
      expect(() => process.kill(pid, 0), 'signal 0 reaches it').to.not.throw();
      expect(isProcessAlive(pid)).to.equal(false);
      expect(isProcessAlive(shell.pid!), 'its live parent').to.equal(true);
    } finally {
      shell.kill('SIGKILL');
    }
  });
});
