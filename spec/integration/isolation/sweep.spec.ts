import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import postgres, { type Sql } from 'postgres';
import { currentOwner, findMarked, listMarked, markSql, type SchemaMark, type SchemaOwner } from '../../../lib/isolation/marks.js';
import { createNonce, quoteIdentifier } from '../../../lib/isolation/names.js';
import { dropDatabase } from '../../../lib/isolation/sql.js';
import { isDoomed, sweepDatabases, sweepSuiteDatabases } from '../../../lib/isolation/sweep.js';

const endedPid = (): number => spawnSync(process.execPath, ['-e', '']).pid;

describe('sweeps on the real server', function () {
  let admin: Sql;
  const made: string[] = [];
  const roles: string[] = [];
  const live: SchemaOwner = currentOwner('sweep-spec');
  const dead: SchemaOwner = { pid: endedPid(), host: hostname(), run: 'sweep-spec-dead' };
  const mark = (over: Partial<SchemaMark>): SchemaMark => ({ pgdock: 1, state: 'claimed', owner: live, key: 'sweep-spec', pair: 'x', ...over });

  beforeEach(function () {
    admin = postgres(this.pg.url, { max: 1, onnotice: () => {} });
  });

  afterEach(async function () {
    for (const name of made.splice(0)) await dropDatabase(admin, name);
    for (const role of roles.splice(0)) await admin.unsafe(`drop role if exists ${quoteIdentifier(role)}`);
    await admin.end({ timeout: 1 });
  });

  async function database(name: string, m?: SchemaMark, owner?: string): Promise<string> {
    made.push(name);
    await admin.unsafe(`create database ${quoteIdentifier(name)}${owner ? ` owner ${quoteIdentifier(owner)}` : ''}`);
    if (m) await admin.unsafe(markSql('database', name, m));
    return name;
  }

  it('isDoomed: expired kept ones, dead owners\' and what extra selects; never a template, a live owner\'s or a kept one in time', function () {
    const now = Date.now();
    const never = () => false;
    expect(isDoomed(mark({ owner: dead }), now, never)).to.equal(true);
    expect(isDoomed(mark({ state: 'kept', keptUntil: new Date(now - 1).toISOString() }), now, never)).to.equal(true);
    expect(isDoomed(mark({}), now, (m) => m.owner.run === 'sweep-spec')).to.equal(true);
    expect(isDoomed(mark({ owner: dead, pair: 'template-failed' }), now, never)).to.equal(true);
    // must fail
    expect(isDoomed(mark({}), now, never)).to.equal(false);
    expect(isDoomed(mark({ owner: dead, pair: 'template' }), now, () => true)).to.equal(false);
    expect(isDoomed(mark({ owner: dead, state: 'kept', keptUntil: new Date(now + 60_000).toISOString() }), now, never)).to.equal(false);
    expect(isDoomed(mark({}), now, () => { throw new Error('malformed'); }), 'a mark extra cannot read is not ours').to.equal(false);
  });

  it('sweepDatabases drops dead owners\' databases and unmarked clones of a dead pid; a live owner\'s, a template and a live pid\'s clone stay', async function () {
    const n = createNonce();
    // Marked as a live owner's while it is listed: another run's sweep on a shared server (the external phase) would drop a dead owner's first.
    const doomed = [await database(`pgdock_t_spec_dead_${n}`, mark({})), await database(`pgdock_pool_${dead.pid}_${n}`), await database(`pgdock_wtmp_${dead.pid}_${n}`)];
    const kept = [await database(`pgdock_t_spec_live_${n}`, mark({})), await database(`pgdock_tpl_spec${n}`, mark({ owner: dead, pair: 'template' })), await database(`pgdock_pool_${process.pid}_${n}`)];
    const listed = await listMarked(admin, 'database');
    expect(listed.filter((d) => d.name.endsWith(n)).map((d) => d.name).sort()).to.deep.equal([doomed[0], kept[0], kept[1]].sort());
    await admin.unsafe(markSql('database', doomed[0]!, mark({ owner: dead })));
    expect(await findMarked(admin, 'database', doomed[1]!), 'unmarked: found, no mark').to.deep.equal({ mark: undefined });
    expect(await findMarked(admin, 'database', `pgdock_none_${n}`)).to.equal(undefined);
    const dropped = await sweepDatabases(admin);
    // On a server other runs share (the external phase), another run's sweep may drop a doomed one first: what is left is what counts.
    expect(dropped.filter((d) => d.endsWith(n)), 'it dropped only doomed ones').to.satisfy((names: string[]) => names.every((d) => doomed.includes(d)));
    const left = (await admin<{ name: string }[]>`select datname as name from pg_database where datname like ${`%${n}`}`).map((r) => r.name);
    expect(left.sort()).to.deep.equal([...kept].sort());
  });

  it('sweepSuiteDatabases waits while another live run has worker databases of the role, then drops the suite\'s', async function () {
    const n = createNonce();
    const role = `pgdock_spec_role_${n}`;
    roles.push(role);
    await admin.unsafe(`create role ${quoteIdentifier(role)} login`);
    const suites = await database(`suite_made_${n}`, undefined, role);
    const worker = await database(`pgdock_w1_${n}`, mark({ pair: 'worker', owner: { ...live, run: 'other-run' } }), role);
    expect(await sweepSuiteDatabases(admin, role, 'this-run', 'docker'), 'must fail: another live run could still be using it').to.deep.equal([]);
    await admin.unsafe(markSql('database', worker, mark({ pair: 'worker', owner: { ...live, run: 'this-run' } })));
    expect(await sweepSuiteDatabases(admin, role, 'this-run', 'docker')).to.deep.equal([suites]);
    expect(await findMarked(admin, 'database', worker), 'pgdock\'s own are swept by their marks').not.to.equal(undefined);
    const another = await database(`suite_made_again_${n}`, undefined, role);
    expect(await sweepSuiteDatabases(admin, role, 'this-run', 'external'), 'a role pgdock did not make, on an external server').to.deep.equal([]);
    expect(await findMarked(admin, 'database', another)).to.deep.equal({ mark: undefined });
  });
});
