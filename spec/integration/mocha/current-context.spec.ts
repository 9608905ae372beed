import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import { pg } from '../../../lib/index.js';
import { REPO_ROOT } from '../../support/paths.js';

let readWhileLoading: unknown;
try {
  void pg.source;
} catch (err) {
  readWhileLoading = err;
}

// pgdock's own suite runs with pgdock/register: `pg` is read as a user's arrow functions would.
describe('pg: the running test\'s context without `this`', function () {
  let fromBefore = '';
  before(() => {
    fromBefore = pg.source;
  });

  it('is this.pg of the running test: same client, same pair', async function () {
    expect(pg.sql).to.equal(this.pg.sql);
    expect(pg.source).to.equal(this.pg.source);
    expect(pg.table('users', 'destination')).to.equal(this.pg.table('users', 'destination'));
    expect(pg.url).to.equal(this.pg.url);
  });

  it('forwards every member this.pg has (a new one forgotten here would be missing from pg)', async function () {
    const members = (o: object) => Object.getOwnPropertyNames(o).sort();
    expect(members(pg)).to.deep.equal(members(this.pg));
    const fresh = await pg.freshPair();
    expect(fresh.source).to.match(/^src_[0-9a-z]{12}$/).and.not.equal(this.pg.source);
  });

  it('works in arrow-function tests and helpers', async () => {
    const count = async (table: string) => (await pg.sql.unsafe(`select count(*)::int as n from ${table}`))[0]!.n as number;
    await pg.sql.unsafe(`create table ${pg.table('users')} (id int); insert into ${pg.table('users')} values (1), (2)`);
    expect(await count(pg.table('users'))).to.equal(2);
  });

  it('in before() it is the suite\'s pair', () => {
    expect(fromBefore).to.match(/^src_[0-9a-z]{12}$/);
    expect(pg.source).to.not.equal(fromBefore);
  });

  it('read while a spec file loads: a TypeError saying where it can be used', function () {
    expect(readWhileLoading).to.be.instanceOf(TypeError);
    expect((readWhileLoading as Error).message).to.include('only be used while a test or hook runs (inside it(), beforeEach(), afterEach(), before() or after())');
  });

  it('without pgdock/register: a TypeError saying how to load it', function () {
    const script = `import { pg } from ${JSON.stringify(join(REPO_ROOT, 'dist', 'lib', 'index.js'))};
try { pg.sql; } catch (err) { console.log(err.constructor.name + ': ' + err.message); }`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(out).to.include("TypeError: pgdock: `pg` was used, but pgdock/register is not loaded in this process. Add it to your mocha config (`require: ['pgdock/register']`");
  });
});
