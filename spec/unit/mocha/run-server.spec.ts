import { expect } from 'chai';
import { publishRunServer, runServerFromEnv } from '../../../lib/mocha/run-server.js';
import type { ServerInfo } from '../../../lib/server/server-info.js';

const info: ServerInfo = { provider: 'docker', host: '127.0.0.1', port: 5555, user: 'postgres', password: 'pw', database: 'postgres', containerId: 'abc', image: 'pgdock-local/postgres:15' };

describe('the warm server handed from mocha\'s main process to its workers (run-server)', function () {
  it('a worker of the same run gets the server its main process attached to', function () {
    const env: NodeJS.ProcessEnv = { PGDOCK_RUN_ID: 'run-1' };
    publishRunServer(info, env);
    expect(runServerFromEnv({ ...env })).to.deep.equal(info);
  });

  it('is read once: the variable goes, so that what the tests spawn does not inherit the password', function () {
    const env: NodeJS.ProcessEnv = { PGDOCK_RUN_ID: 'run-1' };
    publishRunServer(info, env);
    expect(runServerFromEnv(env)).to.deep.equal(info);
    expect(env).to.not.have.property('PGDOCK_RUN_SERVER');
    expect(runServerFromEnv(env), 'must fail: nothing left to read').to.equal(undefined);
  });

  it('must fail: another run\'s hand-off (a nested run inherited the variable) is not taken', function () {
    const env: NodeJS.ProcessEnv = { PGDOCK_RUN_ID: 'run-1' };
    publishRunServer(info, env);
    expect(runServerFromEnv({ ...env, PGDOCK_RUN_ID: 'run-2' })).to.equal(undefined);
  });

  it('must fail: without a run, nothing is handed down', function () {
    const env: NodeJS.ProcessEnv = {};
    publishRunServer(info, env);
    expect(runServerFromEnv(env)).to.equal(undefined);
  });

  it('must fail: a malformed or partial value is ignored, never thrown', function () {
    for (const value of ['{', 'null', '{"runId":"run-1"}', JSON.stringify({ runId: 'run-1', info: { ...info, port: 'x' } }), JSON.stringify({ runId: 'run-1', info: { ...info, provider: 'other' } })]) {
      expect(runServerFromEnv({ PGDOCK_RUN_ID: 'run-1', PGDOCK_RUN_SERVER: value }), value).to.equal(undefined);
    }
  });
});
