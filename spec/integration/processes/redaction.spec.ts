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
    const late = await pgdockRejection(startProcess({ ...nodeScript(`${ECHO} setInterval(() => {}, 1000)`), env, ready: { log: /never/ }, timeout: 500 }));
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
});
