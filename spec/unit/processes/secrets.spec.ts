import { expect } from 'chai';
import { createRedactor, secretValues } from '../../../lib/processes/secrets.js';

describe('processes/secrets: what startProcess hides', function () {
  it('takes secret-named variables and every URL password, longest first, encoded forms too', function () {
    const secrets = secretValues({ API_TOKEN: 'abc123', MY_KEY: 'k-99', DATABASE_URL: 'postgres://u:p%40ss@h/db', REDIS: 'redis://:r3dis@h', HOME: '/home/me', PGPASSWORD: 'x' });
    expect(secrets).to.include.members(['abc123', 'k-99', 'p%40ss', 'p@ss', 'r3dis']);
    expect(secrets, 'not secret-named').to.not.include('/home/me');
    expect(secrets, 'too short to hide').to.not.include('x');
  });

  it('redacts them in a line; must fail: other text stays', function () {
    const redact = createRedactor(secretValues({ API_TOKEN: 'abc123' }));
    expect(redact('token abc123 and user bob')).to.equal('token *** and user bob');
    expect(redact('connect http://me:pw@host/x')).to.equal('connect http://me:***@host/x');
    expect(redact('nothing to hide')).to.equal('nothing to hide');
  });
});
