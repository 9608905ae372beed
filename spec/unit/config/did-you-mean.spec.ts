import { expect } from 'chai';
import { closestName, editDistance } from '../../../lib/config/did-you-mean.js';
import { OPTION_ENV } from '../../../lib/config/options.js';

describe('did you mean', function () {
  const options = Object.keys(OPTION_ENV);

  it('counts a swap of neighbours as one edit', function () {
    expect(editDistance('resue', 'reuse')).to.equal(1);
    expect(editDistance('', 'abc')).to.equal(3);
    expect(editDistance('kitten', 'sitting')).to.equal(3);
  });

  it('suggests the option a typo, a case or a snake_case spelling meant, and nothing for a stranger', function () {
    expect(closestName('resue', options)).to.equal('reuse');
    expect(closestName('PoolSize', options)).to.equal('poolSize');
    expect(closestName('pool_size', options)).to.equal('poolSize');
    expect(closestName('startupTimout', options)).to.equal('startupTimeout');
    expect(closestName('workerDatabaseNam', options)).to.equal('workerDatabaseName');
    expect(closestName('color', options)).to.equal(undefined);
    expect(closestName('url2', options), 'short names: one edit').to.equal('url');
    expect(closestName('xyz', options)).to.equal(undefined);
  });
});
