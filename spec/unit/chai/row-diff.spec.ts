import { expect } from 'chai';
import { describeDiff, diffRows, rowsMatch } from '../../../lib/chai/row-diff.js';

describe('chai/row-diff: multiset comparison and side-by-side display', function () {
  const cols = ['id', 'name'];
  const a = { id: 1, name: 'ada' };
  const g = { id: 2, name: 'grace' };
  const h = { id: 3, name: 'hopper' };

  it('matches in any order; shows matched rows in expected order, then the closest row for a missing one, then the rest', function () {
    expect(rowsMatch(diffRows([g, a], [a, g], cols))).to.equal(true);
    const diff = diffRows([h, g, a], [a, { id: 2, name: 'Grace' }], cols);
    expect(diff.missing).to.deep.equal([{ id: 2, name: 'Grace' }]);
    expect(diff.unexpected).to.deep.equal([h, g]);
    expect(diff.shown).to.deep.equal({ expected: [a, { id: 2, name: 'Grace' }], actual: [a, g, h] });
    expect(describeDiff(diff)).to.contain('first differing column: name (expected "Grace", actual "grace")');
  });

  it('duplicates count; with subset, extra rows are neither a difference nor shown', function () {
    expect(rowsMatch(diffRows([a], [a, a], cols))).to.equal(false);
    const diff = diffRows([a, g, h], [g], cols, { subset: true });
    expect(rowsMatch(diff)).to.equal(true);
    expect(diff.shown.actual).to.deep.equal([g]);
  });

  it('ordered: the first position out of order; both shown in their own order', function () {
    const diff = diffRows([g, a], [a, g], cols, { ordered: true });
    expect(diff.firstOutOfOrder).to.equal(0);
    expect(diff.shown).to.deep.equal({ expected: [a, g], actual: [g, a] });
    expect(rowsMatch(diffRows([a, g, h], [a, g], cols, { ordered: true, subset: true }))).to.equal(true);
  });

  it('an absent value differs from null', function () {
    expect(rowsMatch(diffRows([{ id: 1, name: null }], [{ id: 1 }], cols))).to.equal(false);
  });
});
