import { expect } from 'chai';
import { attributeChangesSql, attributesSql, heldAttributes, type RoleRights } from '../../../lib/config/role-attributes.js';

const none: RoleRights = { rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolreplication: false, rolbypassrls: false };

describe('role attributes as SQL', function () {
  it('CREATE ROLE names every attribute, given or taken away', function () {
    expect(attributesSql([])).to.equal('NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOSUPERUSER');
    expect(attributesSql(['CREATEDB', 'SUPERUSER'])).to.equal('CREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS SUPERUSER');
  });

  it('ALTER ROLE names only what changes (Postgres refuses even NOSUPERUSER from a role that may not change it)', function () {
    expect(attributeChangesSql(none, [])).to.equal('');
    expect(attributeChangesSql({ ...none, rolcreatedb: true }, ['CREATEDB'])).to.equal('');
    expect(attributeChangesSql({ ...none, rolcreatedb: true, rolsuper: true }, ['CREATEROLE'])).to.equal('NOCREATEDB CREATEROLE NOSUPERUSER');
  });

  it('reads what a role holds from pg_roles columns', function () {
    expect(heldAttributes(none)).to.deep.equal([]);
    expect(heldAttributes({ ...none, rolbypassrls: true, rolcreatedb: true })).to.deep.equal(['CREATEDB', 'BYPASSRLS']);
  });
});
