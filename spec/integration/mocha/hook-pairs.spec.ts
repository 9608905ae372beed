import { expect } from 'chai';
import { schemaGone } from '../../support/server-query.js';

// pgdock's own suite runs with pgdock/register: these hooks use `this.pg` as a user's would.
describe('this.pg in suite hooks', function () {
  const seen: Record<string, string> = {};

  describe('Orders Export', function () {
    before(async function () {
      seen.before = this.pg.source;
      await this.pg.sql.unsafe(`create table ${this.pg.table('orders')} (id int)`);
    });
    beforeEach(function () {
      seen.beforeEach = this.pg.source;
    });
    afterEach(function () {
      expect(this.pg.source, 'afterEach shares the test\'s pair').to.equal(seen.test);
    });
    after(async function () {
      seen.after = this.pg.source;
      await this.pg.sql.unsafe(`select * from ${this.pg.table('orders')}`); // what before() made is still there
    });

    it('before() gets the suite\'s own pair; the test and its each-hooks share the test\'s own', function () {
      seen.test = this.pg.source;
      expect(seen.before).to.match(/^src_[0-9a-z]{12}$/);
      expect(seen.beforeEach).to.equal(seen.test);
      expect(seen.test).to.match(/^src_[0-9a-z]{12}$/);
      expect(seen.test).to.not.equal(seen.before);
    });

    describe('Inner', function () {
      before(function () {
        seen.inner = this.pg.source;
      });
      it('a nested suite\'s before() gets that suite\'s pair', function () {
        seen.test = this.pg.source;
        expect(seen.inner).to.match(/^src_[0-9a-z]{12}$/);
        expect(seen.inner).to.not.equal(seen.before);
        expect(seen.inner).to.not.equal(seen.test);
      });
    });
  });

  // A sibling suite: Mocha runs a suite's own tests before its nested suites.
  describe('afterwards', function () {
    it('after() got the suite\'s pair, and the pair was dropped with the suite (inner\'s too)', async function () {
      expect(seen.before, 'the suites ran first').to.be.a('string');
      expect(seen.after).to.equal(seen.before);
      expect(await schemaGone(this.pg.sql, seen.before!), `${seen.before} dropped`).to.equal(true);
      expect(await schemaGone(this.pg.sql, seen.inner!), `${seen.inner} dropped`).to.equal(true);
    });
  });
});
