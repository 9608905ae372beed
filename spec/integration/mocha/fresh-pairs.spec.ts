import { schemaGone } from '../../support/server-query.js';
import { shouldFail } from '../../support/should-fail.js';
import { expect } from '../../support/sql-expect.js';

describe('this.pg.freshPair()', function () {
  const left: string[] = [];

  it('hands out as many new pairs as asked, none of them the test\'s own, each empty and isolated', async function () {
    const own = this.pg.source;
    const a = await this.pg.freshPair();
    const b = await this.pg.freshPair();
    expect(new Set([own, a.source, b.source, a.destination, b.destination]).size).to.equal(5);
    expect(a.source).to.match(/^src_[0-9a-z]{12}$/);
    await a.sql.unsafe(`create table ${a.table('t')} (n int); insert into ${a.table('t')} values (1), (2)`);
    await expect(a.table('t')).to.have.rowCount(2);
    await expect(b.table('t'), 'b does not see a\'s table').not.to.exist;
    await expect(b.source, 'a fresh source schema is empty').to.be.empty;
    await expect(this.pg.table('t'), 'nor does the test\'s own pair').not.to.exist;
    await a.sql.unsafe(`create table ${a.table('out', 'destination')} (n int)`);
    await expect(a.table('out', 'destination')).to.exist;
    left.push(a.source, b.destination);
  });

  it('must fail: a fresh pair\'s table is not another\'s (assertions see which pair they ask about)', async function () {
    const a = await this.pg.freshPair();
    const b = await this.pg.freshPair();
    await a.sql.unsafe(`create table ${a.table('t')} (n int)`);
    await shouldFail(async () => expect(b.table('t')).to.exist, `expected the table ${b.source}."t" to exist`);
  });

  it('pairs still held when the test ends are dropped; release() drops one at once', async function () {
    expect(left, 'the first test ran and left two names to check (run the whole file)').to.have.length(2);
    for (const name of left) expect(await schemaGone(this.pg.sql, name), `${name}, from the first test`).to.equal(true);
    const pair = await this.pg.freshPair();
    await expect(pair.source).to.be.empty;
    pair.release();
    expect(await schemaGone(this.pg.sql, pair.source)).to.equal(true);
    expect(() => pair.table('')).to.throw(TypeError, /needs a table name/);
  });
});
