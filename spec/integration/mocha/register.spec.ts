import { expect } from 'chai';
import { inspect } from 'node:util';
import { specProvider } from '../../support/spec-provider.js';

// pgdock's own suite runs with pgdock/register: these tests use `this.pg` as a user would.
describe('this.pg in a test (pgdock/register)', function () {
  it('gives a postgres.js client on the shared server', async function () {
    const [row] = await this.pg.sql<{ answer: number }[]>`select 6 * 7 as answer`;
    expect(row?.answer).to.equal(42);
    expect(this.pg.server.provider).to.equal(specProvider());
    if (specProvider() === 'docker') expect(this.pg.server.containerId).to.match(/^[0-9a-f]{64}$/);
    if (specProvider() === 'embedded') expect(this.pg.server.pid).to.be.a('number');
  });

  it('every test of this process sees the same server', async function () {
    const [a] = await this.pg.sql<{ id: string }[]>`select system_identifier::text as id from pg_control_system()`;
    const url = new URL(this.pg.url);
    expect(Number(url.port)).to.equal(this.pg.server.port);
    expect(a?.id).to.match(/^\d+$/);
  });

  it('printing this.pg never shows the password; url has it for the code under test', function () {
    const password = new URL(this.pg.url).password;
    expect(password.length).to.be.greaterThan(10);
    for (const printed of [inspect(this.pg), JSON.stringify(this.pg), inspect(this.pg.server), String(Object.keys(this.pg))]) {
      expect(printed).to.not.contain(password);
    }
    expect(JSON.stringify(this.pg)).to.contain(':***@');
  });

  describe('a nested suite whose before hook uses this.pg', function () {
    let port = 0;
    before(async function () {
      await this.pg.sql`select 1`;
      port = this.pg.server.port;
    });

    it('sees the server its hook used', function () {
      expect(port).to.be.greaterThan(0);
      expect(this.pg.server.port).to.equal(port);
    });
  });
});
