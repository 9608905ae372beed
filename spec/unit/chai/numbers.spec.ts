import { expect } from 'chai';
import { canonicalNumber, displayNumber } from '../../../lib/chai/numbers.js';

describe('chai/numbers: exact decimal text', function () {
  it('one text per value, from numbers, bigints and numeric text', function () {
    for (const same of ['10.5', '10.50', '+010.5', '1.05e1', 10.5, '1050e-2']) expect(canonicalNumber(same), String(same)).to.equal('10.5');
    expect(canonicalNumber(1e21)).to.equal('1000000000000000000000');
    expect(canonicalNumber(1e-7)).to.equal('0.0000001');
    expect(canonicalNumber('-0.00')).to.equal('0');
    expect(canonicalNumber(12345678901234567890n)).to.equal('12345678901234567890');
    expect(canonicalNumber('123456789012345678901234.5678')).to.equal('123456789012345678901234.5678');
    expect(canonicalNumber('NaN')).to.equal('NaN');
    expect(canonicalNumber(-Infinity)).to.equal('-Infinity');
    for (const not of ['', '.', 'abc', '1.2.3', '1e', true, null]) expect(canonicalNumber(not), String(not)).to.equal(undefined);
  });

  it('shown as a number when it is exactly one, else as text', function () {
    expect(displayNumber('10.5')).to.equal(10.5);
    expect(displayNumber('9007199254740993')).to.equal('9007199254740993');
    expect(displayNumber('0.1000000000000000000001')).to.equal('0.1000000000000000000001');
    expect(displayNumber('NaN')).to.equal('NaN');
  });
});
