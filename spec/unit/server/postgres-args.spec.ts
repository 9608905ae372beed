import { expect } from 'chai';
import { serverArgs, SPEED_ARGS, userArgsOf } from '../../../lib/server/postgres-args.js';

describe('postgres-args: the arguments every server pgdock starts runs with', function () {
  it('serverArgs: the speed settings first, then the user\'s; userArgsOf reads the user\'s back', function () {
    const user = ['-c', 'work_mem=7MB'];
    expect(serverArgs(user)).to.deep.equal([...SPEED_ARGS, ...user]);
    expect(SPEED_ARGS).to.include.members(['fsync=off', 'synchronous_commit=off', 'full_page_writes=off']);
    expect(userArgsOf(['postgres', ...serverArgs(user)])).to.deep.equal(user);
    expect(userArgsOf(['postgres', ...serverArgs([])])).to.deep.equal([]);
  });

  it('a command pgdock did not make comes back whole', function () {
    expect(userArgsOf(['postgres', '-c', 'fsync=off'])).to.deep.equal(['postgres', '-c', 'fsync=off']);
    expect(userArgsOf(['sh', ...SPEED_ARGS])).to.deep.equal(['sh', ...SPEED_ARGS]);
    expect(userArgsOf([])).to.deep.equal([]);
  });
});
