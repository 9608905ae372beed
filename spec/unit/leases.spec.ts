import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasLease, removeLease, sweepLeases, writeLease } from '../../lib/leases.js';
import { readState, writeState } from '../../lib/state-file.js';

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
});
