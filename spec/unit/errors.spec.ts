import { expect } from 'chai';
import { ErrorCodes, PgdockError, describeValue, printable, redactSecrets } from '../../lib/errors.js';
import { connectionUrl, redactedUrl } from '../../lib/server/server-info.js';

describe('errors', function () {
  it('PgdockError carries code, context and a Hint line, and survives the state file round trip', function () {
    const err = new PgdockError(ErrorCodes.LOCK_TIMEOUT, 'Timed out.', 'Wait less.', { lockPath: '/x.lock' });
    expect(err.message).to.equal('Timed out.\nHint: Wait less.');
    const copy = PgdockError.fromJSON(JSON.parse(JSON.stringify(err)));
    expect(copy).to.be.instanceOf(PgdockError);
    expect(copy.message).to.equal(err.message);
    expect(copy.code).to.equal(ErrorCodes.LOCK_TIMEOUT);
    expect(copy.context).to.deep.equal({ lockPath: '/x.lock' });
  });

  it('every code is namespaced', function () {
    for (const code of Object.values(ErrorCodes)) expect(code).to.match(/^ERR_PGDOCK_[A-Z_]+$/);
  });

  it('printable: a missing provider reads as one line with no stack frames; other errors keep theirs', function () {
    const missing = printable(new PgdockError(ErrorCodes.PROVIDER_UNSUPPORTED, 'No server.', 'Install one.', { provider: 'auto' }));
    expect(missing.message).to.equal('No server. Hint: Install one.');
    expect(missing.stack).to.equal('PgdockError [ERR_PGDOCK_PROVIDER_UNSUPPORTED]: No server. Hint: Install one.');
    expect(missing.summary).to.equal('No server.');
    expect(missing.code).to.equal(ErrorCodes.PROVIDER_UNSUPPORTED);
    const other = new PgdockError(ErrorCodes.LOCK_TIMEOUT, 'Timed out.', 'Wait less.');
    const stack = other.stack;
    expect(printable(other).message).to.equal('Timed out.\nHint: Wait less.');
    expect(other.stack).to.equal(stack);
    expect(stack).to.match(/\n\s+at /);
  });

  it('describeValue names the value and its type', function () {
    expect(describeValue(42)).to.equal('`42` (number)');
    expect(describeValue('x')).to.equal('`"x"` (string)');
    expect(describeValue([1])).to.equal('`[1]` (array)');
    expect(describeValue(undefined)).to.equal('`undefined`');
  });

  it('redactSecrets removes passwords from URLs and env assignments', function () {
    const info = { provider: 'docker' as const, host: '127.0.0.1', port: 5, user: 'u', password: 'p@ss/w:rd', database: 'd', image: 'i' };
    expect(redactSecrets(`see ${connectionUrl(info)} now`)).to.equal(`see ${redactedUrl(info)} now`);
    expect(redactSecrets('POSTGRES_PASSWORD=hunter2 PGPASSWORD=x')).to.equal('POSTGRES_PASSWORD=*** PGPASSWORD=***');
  });
});
