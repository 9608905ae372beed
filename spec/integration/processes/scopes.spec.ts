import { expect } from 'chai';
import { startProcess, type StartedProcess } from '../../../lib/index.js';
import { groupMembers, nodeScript } from '../../support/process-listing.js';

const IDLE = nodeScript(`console.log('up'); setInterval(() => {}, 1000)`);

describe('startProcess: scopes', function () {
  describe('a test\'s process', function () {
    let fromTest: StartedProcess | undefined;
    let fromBeforeEach: StartedProcess | undefined;
    let aliveInAfterEach = false;

    beforeEach(async function () {
      if (this.currentTest?.title.startsWith('starts')) fromBeforeEach = await startProcess({ ...IDLE, name: 'from-before-each', ready: { log: /up/ } });
    });

    afterEach(function () {
      // A user's afterEach runs before pgdock's root afterEach: the processes still run.
      if (fromTest) aliveInAfterEach = groupMembers(fromTest.pid).length > 0;
    });

    it('starts one in the test and one in beforeEach', async function () {
      fromTest = await startProcess({ ...IDLE, name: 'from-test', ready: { log: /up/ } });
      expect(groupMembers(fromTest.pid)).to.deep.equal([fromTest.pid]);
      expect(groupMembers(fromBeforeEach!.pid)).to.deep.equal([fromBeforeEach!.pid]);
    });

    it('must fail: they still ran in the test\'s own afterEach', function () {
      expect(aliveInAfterEach).to.equal(true);
    });

    it('both are gone once the test ended (root afterEach)', function () {
      expect(groupMembers(fromTest!.pid)).to.deep.equal([]);
      expect(groupMembers(fromBeforeEach!.pid)).to.deep.equal([]);
    });
  });

  describe('a suite\'s process', function () {
    let suiteProcess: StartedProcess | undefined;
    let aliveInLastAfter = false;

    describe('started in before()', function () {
      before(async function () {
        suiteProcess = await startProcess({ ...IDLE, name: 'coordinator', env: { DATABASE_URL: this.pg.url }, ready: { log: /up/ } });
      });

      after(function () {
        aliveInLastAfter = groupMembers(suiteProcess!.pid).length > 0;
      });

      it('runs through the suite\'s first test', function () {
        expect(groupMembers(suiteProcess!.pid)).to.deep.equal([suiteProcess!.pid]);
      });

      it('and its second (it is not stopped at the end of a test)', function () {
        expect(groupMembers(suiteProcess!.pid)).to.deep.equal([suiteProcess!.pid]);
      });
    });

    describe('after that suite', function () {
      it('must fail: it still ran in the suite\'s own after() hook', function () {
        expect(aliveInLastAfter).to.equal(true);
      });

      it('is gone once the suite ended', function () {
        expect(groupMembers(suiteProcess!.pid)).to.deep.equal([]);
      });
    });
  });

  describe('a process stopped by the test itself', function () {
    let stopped: StartedProcess | undefined;
    it('leaves its scope (the root afterEach has nothing left to stop)', async function () {
      stopped = await startProcess({ ...IDLE, ready: { log: /up/ } });
      await stopped.stop();
      expect(groupMembers(stopped.pid)).to.deep.equal([]);
    });
  });
});

describe('startProcess outside a test or hook', function () {
  it('throws a TypeError saying where it can be used', async function () {
    const { currentProcessOwner, setProcessOwnerResolver } = await import('../../../lib/processes/process-scopes.js');
    const { enablePg } = await import('../../../lib/mocha/mocha-scopes.js');
    expect(currentProcessOwner()).to.not.equal(undefined);
    setProcessOwnerResolver(() => undefined); // as while a spec file loads
    try {
      let error: unknown;
      await startProcess({ ...IDLE }).catch((err) => (error = err));
      expect(error).to.be.instanceOf(TypeError);
      expect((error as Error).message).to.contain('startProcess() can only be called while a test or hook runs');
    } finally {
      enablePg();
    }
  });
});
