import { expect } from 'chai';
import fc from 'fast-check';
import {
  MAX_IDENTIFIER_BYTES,
  buildingName,
  clonePid,
  createNonce,
  isPlainIdentifier,
  poolDatabaseName,
  poolPairNames,
  quoteIdentifier,
  schemaPairNames,
  slugify,
  testDatabaseName,
  workerTempDatabaseName,
} from '../../../lib/isolation/names.js';

const anyTitle = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 500 }),
  fc.string({ unit: 'grapheme', maxLength: 500 }),
  fc.constantFrom('', ' ', "'; drop schema public cascade; --", '"quoted"', 'a'.repeat(500), 'Ünïcödé ñame 日本語', '$1', '\0\n\t'),
);

describe('schema pair names', function () {
  it('for any title: valid unquoted identifiers of at most 63 bytes, nothing SQL can be injected through', function () {
    fc.assert(
      fc.property(anyTitle, (title) => {
        const { source, destination } = schemaPairNames(title);
        for (const name of [source, destination]) {
          expect(name).to.match(/^(src|dst)_[a-z0-9_]+$/);
          expect(isPlainIdentifier(name)).to.equal(true);
          expect(Buffer.byteLength(name)).to.be.at.most(MAX_IDENTIFIER_BYTES);
        }
        expect(destination.slice(4)).to.equal(source.slice(4));
      }),
      { numRuns: 2000 },
    );
  });

  it('no collision over 10,000 draws, even for one and the same title', function () {
    fc.assert(
      fc.property(fc.array(anyTitle, { minLength: 10_000, maxLength: 10_000 }), fc.boolean(), (titles, sameTitle) => {
        const names = new Set(titles.map((t) => schemaPairNames(sameTitle ? 'same' : t).source));
        expect(names.size).to.equal(10_000);
      }),
      { numRuns: 3 },
    );
  });

  it('slugs keep what they can of the title', function () {
    expect(slugify('Copies 3 rows: full_refresh/replace!', 40)).to.equal('copies_3_rows_full_refresh_replace');
    expect(slugify('', 40)).to.equal('test');
    expect(slugify('日本語', 40)).to.equal('test');
    expect(slugify('a'.repeat(100), 10)).to.equal('aaaaaaaaaa');
    expect(createNonce()).to.match(/^[0-9a-z]{12}$/);
  });

  it('quoteIdentifier always quotes and doubles embedded quotes', function () {
    expect(quoteIdentifier('user')).to.equal('"user"');
    expect(quoteIdentifier('a"b')).to.equal('"a""b"');
  });

  it('clones carry their maker\'s pid in the name, and only clones do', function () {
    expect(clonePid(poolDatabaseName(4242))).to.equal(4242);
    expect(clonePid(workerTempDatabaseName(77))).to.equal(77);
    for (const other of [testDatabaseName('t', createNonce()), 'pgdock_tpl_abc', 'pgdock_pool_x_1', 'app_pool_12_x', buildingName('pgdock_wtpl_k')]) {
      expect(clonePid(other), other).to.equal(undefined);
    }
  });

  it('test databases, pool pairs and templates under construction have plain names of at most 63 bytes', function () {
    const nonce = createNonce();
    for (const name of [testDatabaseName('a very long title '.repeat(10), nonce), ...Object.values(poolPairNames(nonce)), poolDatabaseName(4194304), workerTempDatabaseName(4194304)]) {
      expect(isPlainIdentifier(name), name).to.equal(true);
    }
    expect(testDatabaseName('Spaces & Quotes\'', nonce)).to.equal(`pgdock_t_spaces_quotes_${nonce}`);
    expect(buildingName('pgdock_tpl_k')).to.equal('pgdock_tpl_k_building');
  });
});
