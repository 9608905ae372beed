import { expect } from 'chai';
import { startProcess } from '../../../lib/index.js';
import { pgdockRejection } from '../../support/should-fail.js';
import { nodeScript } from '../../support/process-listing.js';

const ECHO = `for (const name of ['API_TOKEN', 'DATABASE_URL', 'SERVICE_PASSWORD', 'PLAIN']) console.log(name + '=' + process.env[name]);`;

describe('startProcess: secrets never in its output or errors', function () {
  const env = { API_TOKEN: 'tok-8c1d2e3f', SERVICE_PASSWORD: 'pa55-wörd!', DATABASE_URL: 'postgres://app:url-s3cret@127.0.0.1:5432/db', PLAIN: 'visible-value' };

  it('output() hides secret env values and URL passwords; the rest is there', async function () {
    const started = await startProcess({ ...nodeScript(`${ECHO} console.log('done'); setInterval(() => {}, 1000)`), env, ready: { log: /done/ } });
    const output = started.output();
    expect(output).to.contain('PLAIN=visible-value'); // must fail half: the output is really captured
    expect(output).to.contain('API_TOKEN=***').and.contain('SERVICE_PASSWORD=***').and.contain('DATABASE_URL=postgres://app:***@127.0.0.1:5432/db');
    for (const secret of ['tok-8c1d2e3f', 'pa55-wörd!', 'url-s3cret']) expect(output).to.not.contain(secret);
    expect(started.ready?.input).to.equal('done');
  });

  it('error messages (an early exit, a timeout) carry the output redacted', async function () {
    const exited = await pgdockRejection(startProcess({ ...nodeScript(`${ECHO} process.exit(1)`), env, ready: { log: /never/ } }));
    const late = await pgdockRejection(startProcess({ ...nodeScript(`${ECHO} setInterval(() => {}, 1000)`), env, ready: { log: /never/ }, timeout: 3_000 }));
    for (const err of [exited, late]) {
      const text = `${err.message} ${JSON.stringify(err.context)} ${err.stack}`;
      expect(text).to.contain('PLAIN=visible-value');
      for (const secret of ['tok-8c1d2e3f', 'pa55-wörd!', 'url-s3cret']) expect(text).to.not.contain(secret);
    }
  });

  it('a bad env value is named by its key, never shown', async function () {
    const err = await pgdockRejection(startProcess({ ...nodeScript(''), env: { API_TOKEN: 42 as unknown as string } }));
    expect(err.message).to.contain('`env.API_TOKEN`').and.contain('got a number').and.not.contain('42');
  });

  it('readiness sees lines as printed: KEYCLOAK_URL is no secret, and its URL in a ready line matches', async function () {
    const started = await startProcess({
      ...nodeScript(`console.log('app listening on ' + process.env.KEYCLOAK_URL); setInterval(() => {}, 1000)`),
      env: { KEYCLOAK_URL: 'http://localhost:8080' },
      ready: { log: /app listening on (http:\/\/localhost:8080)/ },
      timeout: 10_000,
    });
    expect(started.ready?.[1]).to.equal('http://localhost:8080');
    expect(started.output()).to.equal('app listening on http://localhost:8080');
  });

  it('a ready line holding a secret matches as printed (the test passed the env); must fail: output() still hides it', async function () {
    const started = await startProcess({ ...nodeScript(`console.log('ready with ' + process.env.API_TOKEN); setInterval(() => {}, 1000)`), env, ready: { log: /ready with (\S+)/ }, timeout: 10_000 });
    expect(started.ready?.[1], 'the match is handed back as printed').to.equal('tok-8c1d2e3f');
    expect(started.output()).to.equal('ready with ***');
    expect((await started.waitForOutput(/ready with (tok-\w+)/, 5_000))[1]).to.equal('tok-8c1d2e3f');
  });

  it('a waitForOutput that times out on a pattern holding a secret does not show it', async function () {
    const started = await startProcess({ ...nodeScript(`console.log('up'); setInterval(() => {}, 1000)`), env, ready: { log: /up/ } });
    const err = await pgdockRejection(started.waitForOutput('tok-8c1d2e3f', 300));
    expect(err.message).to.contain('printed no line matching /***/ within 300 ms');
    expect(`${err.message} ${JSON.stringify(err.context)}`).to.not.contain('tok-8c1d2e3f');
  });
});
