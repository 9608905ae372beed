import { expect } from 'chai';
import { ErrorCodes } from '../../../../lib/errors.js';
import { dockerEngineProblem } from '../../../../lib/server/choose-provider.js';
import { askEngine, describeDockerTarget, dockerUnavailable } from '../../../../lib/server/docker/ping.js';
import { pgdockRejection } from '../../../support/should-fail.js';

describe('docker ping: whether an engine answers, and what to say when none does', function () {
  it('describeDockerTarget names DOCKER_HOST, else the default socket', function () {
    expect(describeDockerTarget({ DOCKER_HOST: 'tcp://box:2375' })).to.equal('DOCKER_HOST=tcp://box:2375');
    expect(describeDockerTarget({})).to.equal('the default socket /var/run/docker.sock');
  });

  it('dockerUnavailable: the code, the target tried, and a hint fitting it', function () {
    const remote = dockerUnavailable('ECONNREFUSED', { DOCKER_HOST: 'tcp://box:2375' });
    expect([remote.code, remote.summary]).to.deep.equal([ErrorCodes.DOCKER_UNAVAILABLE, 'No Docker engine answered at DOCKER_HOST=tcp://box:2375: ECONNREFUSED.']);
    expect(remote.hint).to.contain('unset DOCKER_HOST');
    expect(dockerUnavailable('ENOENT', {}).hint).to.contain('Start Docker');
  });

  it('askEngine: an answer passes; no answer in time, or a failure, is ERR_PGDOCK_DOCKER_UNAVAILABLE; passThrough keeps an error as it is', async function () {
    expect(await askEngine(async () => 'pong', 1_000)).to.equal('pong');
    const slow = await pgdockRejection(askEngine(() => new Promise((resolve) => setTimeout(resolve, 5_000).unref()), 50));
    expect([slow.code, slow.summary]).to.deep.equal([ErrorCodes.DOCKER_UNAVAILABLE, `No Docker engine answered at ${describeDockerTarget()}: no answer within 50 ms.`]);
    const refused = await pgdockRejection(askEngine(() => Promise.reject(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })), 1_000));
    expect(refused.message).to.contain(': ECONNREFUSED.');
    const notFound = Object.assign(new Error('no such container'), { statusCode: 404 });
    let caught: unknown;
    await askEngine(() => Promise.reject(notFound), 1_000, (err) => err === notFound).catch((err: unknown) => (caught = err));
    expect(caught).to.equal(notFound);
  });

  it('dockerEngineProblem: why a socket nobody listens on is no engine', async function () {
    expect(await dockerEngineProblem({ DOCKER_HOST: 'unix:///run/none.sock' }, 1_000)).to.be.a('string').and.not.equal('');
  });
});
