import { expect } from 'chai';
import { assertPlain, dropSchemasSql, literal, privateDatabaseSql } from '../../../lib/isolation/sql.js';

describe('isolation SQL', function () {
  it('literal doubles quotes', function () {
    expect(literal("it's")).to.equal("'it''s'");
    expect(literal('')).to.equal("''");
  });

  it('assertPlain refuses what is not a plain identifier', function () {
    expect(() => assertPlain('src_a_1', 'dst_a_1')).not.to.throw();
    for (const name of ['Upper', 'a b', 'x; drop schema public', '"q"', 'a'.repeat(64), '']) {
      expect(() => assertPlain('ok', name), name).to.throw(TypeError, /refusing to use/);
    }
  });

  it('privateDatabaseSql takes connect and temporary away from public, on the quoted name', function () {
    expect(privateDatabaseSql('pgdock_w1')).to.equal('revoke connect, temporary on database "pgdock_w1" from public');
  });

  it('dropSchemasSql drops the schemas, their slots and publications; nothing to drop is a no-op; an odd name is refused', function () {
    expect(dropSchemasSql([])).to.equal('select 1');
    const text = dropSchemasSql(['src_a_1', 'dst_a_1']);
    expect(text).to.include('drop schema if exists src_a_1, dst_a_1 cascade');
    expect(text).to.include("slot_name like any (array['%src_a_1%', '%dst_a_1%']::text[])");
    expect(text).to.include('pg_drop_replication_slot');
    expect(text).to.include("pubname like any (array['%src_a_1%', '%dst_a_1%']::text[])");
    expect(() => dropSchemasSql(['src_a_1', 'x; drop schema public'])).to.throw(TypeError);
  });
});
