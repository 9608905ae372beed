import { expect } from 'chai';
import { resolveOptions } from '../../../lib/config/options.js';
import { ErrorCodes, PgdockError } from '../../../lib/errors.js';
import { checkJobsCeiling, checkNamesForWorkers, isOutOfConnections, outOfConnectionsHint } from '../../../lib/isolation/connection-budget.js';

function options(env: Record<string, string>) {
  return resolveOptions({}, { PGDOCK_PROVIDER: 'docker', PGDOCK_WORKER_DATABASE: 'true', ...env });
}

function thrown(fn: () => void): PgdockError {
  try {
    fn();
  } catch (err) {
    return err as PgdockError;
  }
  throw new Error('did not throw');
}

describe('connection budget', function () {
  it('checkNamesForWorkers: a fixed workerDatabaseName under --parallel is refused, one with {worker} passes', function () {
    expect(() => checkNamesForWorkers(options({ PGDOCK_WORKER_DATABASE_NAME: 'app_{worker}' }), 4)).not.to.throw();
    const err = thrown(() => checkNamesForWorkers(options({ PGDOCK_WORKER_DATABASE_NAME: 'app' }), 4));
    expect(err).to.be.instanceOf(PgdockError);
    expect(err.code).to.equal(ErrorCodes.INVALID_OPTION);
    expect(err.message).to.include("workerDatabaseName is 'app'");
    expect(err.hint).to.include("'app_{worker}'");
  });

  it('checkJobsCeiling refuses more workers than the server is sized for, with the setting that fixes it', function () {
    const sized = options({ PGDOCK_MAX_JOBS: '3' });
    expect(() => checkJobsCeiling(sized, 3)).not.to.throw();
    const err = thrown(() => checkJobsCeiling(sized, 4));
    expect(err.code).to.equal(ErrorCodes.TOO_MANY_JOBS);
    expect(err.hint).to.include('PGDOCK_MAX_JOBS=4');
    expect(() => checkJobsCeiling(options({ PGDOCK_MAX_JOBS: '3', PGDOCK_PROVIDER: 'external', PGDOCK_URL: 'postgres://u:p@h/d' }), 4), 'an external server is not pgdock\'s to size').not.to.throw();
  });

  it('isOutOfConnections knows SQLSTATE 53300 and its messages, nothing else', function () {
    expect(isOutOfConnections({ code: '53300' })).to.equal(true);
    expect(isOutOfConnections(new Error('sorry, too many clients already'))).to.equal(true);
    expect(isOutOfConnections(new Error('remaining connection slots are reserved for roles with the SUPERUSER attribute'))).to.equal(true);
    for (const other of [undefined, null, new Error('connection refused'), { code: '57P01' }]) expect(isOutOfConnections(other), String(other)).to.equal(false);
  });

  it('outOfConnectionsHint names the pool size, the jobs and what to change', function () {
    const hint = outOfConnectionsHint(options({ PGDOCK_WORKER_POOL_SIZE: '7' }), 3);
    expect(hint).to.include('3 worker(s) with a pool of 7');
    expect(hint).to.include('PGDOCK_WORKER_POOL_SIZE');
  });
});
