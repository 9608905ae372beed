import { expect } from 'chai';
import { createRedactor, isSecretName, secretValues } from '../../../lib/processes/secrets.js';

describe('processes/secrets: what startProcess hides', function () {
  it('takes secret-named variables and every URL password, longest first, encoded forms too', function () {
    const secrets = secretValues({ API_TOKEN: 'abc123', MY_KEY: 'k-99', DATABASE_URL: 'postgres://u:p%40ss@h/db', REDIS: 'redis://:r3dis@h', HOME: '/home/me', PGPASSWORD: 'x' });
    expect(secrets).to.include.members(['abc123', 'k-99', 'p%40ss', 'p@ss', 'r3dis']);
    expect(secrets, 'not secret-named').to.not.include('/home/me');
    expect(secrets, 'too short to hide').to.not.include('x');
  });

  it('a name is secret by a secret word anywhere, or PASS/AUTH as a segment, or KEY as its last segment', function () {
    const secret = ['PGPASSWORD', 'DB_PASSWD', 'SMTP_PASS', 'GITHUB_TOKEN', 'npm_config__authToken', 'CLIENTSECRET', 'AWS_SECRET_ACCESS_KEY', 'GPG_PASSPHRASE', 'GOOGLE_APPLICATION_CREDENTIALS', 'API_KEY', 'STRIPE_KEY', 'OPENAI_APIKEY', 'BASIC_AUTH', 'AUTH_HEADER', 'SSH_PRIVATEKEY'];
    for (const name of secret) expect(isSecretName(name), name).to.equal(true);
  });

  it('must fail: KEYCLOAK_URL, MONKEY, AUTHOR, KEY_FILE, PWD are no secret names (their values would garble every line)', function () {
    for (const name of ['KEYCLOAK_URL', 'MONKEY', 'AUTHOR', 'AUTHORS_FILE', 'KEY_FILE', 'KEYBOARD', 'PWD', 'OLDPWD', 'PASSENGER_ROOT', 'HOME']) expect(isSecretName(name), name).to.equal(false);
    expect(secretValues({ KEYCLOAK_URL: 'http://localhost:8080', MONKEY: 'banana' })).to.deep.equal([]);
  });

  it('redacts them in a line; must fail: other text stays', function () {
    const redact = createRedactor(secretValues({ API_TOKEN: 'abc123' }));
    expect(redact('token abc123 and user bob')).to.equal('token *** and user bob');
    expect(redact('connect http://me:pw@host/x')).to.equal('connect http://me:***@host/x');
    expect(redact('nothing to hide')).to.equal('nothing to hide');
  });
});
