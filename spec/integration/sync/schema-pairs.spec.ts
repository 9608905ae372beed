import { expect } from 'chai';
import { inspect } from 'node:util';

async function schemaExists(sql: import('postgres').Sql, name: string): Promise<boolean> {
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from pg_namespace where nspname = ${name}`;
  return row?.n === 1;
}

// pgdock's own suite runs with pgdock/register: these tests use the pair as a user would.
describe('this.pg.source / destination (pgdock/register)', function () {
  let previous: { source: string; destination: string } | undefined;

  it('gives each test its own pair of schemas, src_<nonce> and dst_<nonce>', async function () {
    const { source, destination, sql } = this.pg;
    expect(source).to.match(/^src_[0-9a-z]{12}$/);
    expect(destination).to.equal(source.replace(/^src_/, 'dst_'));
    expect(Buffer.byteLength(source)).to.be.at.most(63);
    expect(await schemaExists(sql, source)).to.equal(true);
    expect(await schemaExists(sql, destination)).to.equal(true);
    expect(this.pg.source, 'stable within a test').to.equal(source);
    previous = { source, destination };
  });

  it('drops the previous test\'s pair after it, off the test\'s clock', async function () {
    const { sql } = this.pg;
    expect(this.pg.source).to.not.equal(previous!.source);
    let gone = false;
    for (let i = 0; i < 100 && !gone; i++) {
      gone = !(await schemaExists(sql, previous!.source)) && !(await schemaExists(sql, previous!.destination));
      if (!gone) await new Promise((r) => setTimeout(r, 20));
    }
    expect(gone).to.equal(true);
  });

  it('table() qualifies and quotes; sqlFor() scopes search_path', async function () {
    const users = this.pg.table('users');
    expect(users).to.equal(`${this.pg.source}."users"`);
    expect(this.pg.table('Order Lines', 'destination')).to.equal(`${this.pg.destination}."Order Lines"`);
    await this.pg.sql.unsafe(`create table ${users} (id int primary key, name text)`);
    const src = this.pg.sqlFor('source');
    await src`insert into users values (1, 'ada')`;
    const rows = await this.pg.sql.unsafe(`select name from ${users}`);
    expect(rows.map((r) => r.name)).to.deep.equal(['ada']);
    const [path] = await this.pg.sqlFor('destination')<{ p: string }[]>`select current_schema() as p`;
    expect(path?.p).to.equal(this.pg.destination);
    expect(() => this.pg.table('', 'source')).to.throw(TypeError, /needs a table name/);
    expect(() => this.pg.sqlFor('sideways' as 'source')).to.throw(TypeError, /'source' or 'destination', got "sideways"/);
  });

  it('fixture() renders a YAML template with this test\'s own values', async function () {
    const { data, text } = this.pg.fixture('pipelines/full_refresh', { write_mode: 'replace' });
    expect(data).to.have.nested.property('source.schema', this.pg.source);
    expect(data).to.have.nested.property('destination.schema', this.pg.destination);
    expect(data).to.have.nested.property('destination.url', this.pg.url);
    expect(data).to.have.property('write_mode', 'replace');
    expect(text).to.not.contain('${');
    expect(() => this.pg.fixture('pipelines/full_refresh')).to.throw(/unknown placeholder \$\{write_mode\}.*Known placeholders: \$\{source\.schema\}/);
  });

  it('a test that never reads source creates no pair', async function () {
    const before = await this.pg.sql<{ n: number }[]>`select count(*)::int as n from pg_namespace where nspname like 'src\\_a\\_test\\_that\\_never%'`;
    expect(before[0]?.n).to.equal(0);
    expect(inspect(this.pg)).to.not.match(/src_a_test_that_never/);
  });
});
