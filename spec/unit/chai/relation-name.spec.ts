import { expect } from 'chai';
import { parseRelationName } from '../../../lib/chai/relation-name.js';

describe('chai/relation-name: names as Postgres reads them', function () {
  it('folds unquoted parts, keeps quoted ones, splits only outside quotes', function () {
    expect(parseRelationName('public.Users')).to.deep.equal(['public', 'users']);
    expect(parseRelationName('src_x."Users"')).to.deep.equal(['src_x', 'Users']);
    expect(parseRelationName('"my.schema"."a ""b"""')).to.deep.equal(['my.schema', 'a "b"']);
    expect(parseRelationName('users')).to.deep.equal(['users']);
    expect(parseRelationName('café.menü')).to.deep.equal(['café', 'menü']);
    expect(parseRelationName('db.public.users')).to.deep.equal(['db', 'public', 'users']);
  });

  it('anything else is not a name', function () {
    for (const text of ['', 'two words', 'a.', '.a', 'a..b', '"unterminated', 'x; drop table y', '1abc', 'a-b', '""', 'a."b"c']) {
      expect(parseRelationName(text), text).to.equal(undefined);
    }
  });
});
