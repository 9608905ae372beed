import { expect } from 'chai';
import { ErrorCodes } from '../../../lib/errors.js';
import {
  parseBoolean, parseCount, parseEnvMap, parseFileList, parseMaxJobs, parseMillis, parsePassword, parsePoolSize, parsePostgresArgs,
  parseProvider, parseRoleName, parseString, splitArgs, type RawOption,
} from '../../../lib/config/parsers.js';
import { pgdockErrorFrom } from '../../support/should-fail.js';

/** A value of `name` from `source`, with paths relative to /project. */
const from = (name: string, source = 'the test'): RawOption => ({ name, source, projectRoot: '/project' });

describe('option parsers', function () {
  it('booleans: true/false, 1/0, yes/no, on/off in any case; anything else names the option, value and source', function () {
    expect(['1', 'TRUE', ' yes ', 'on', true].map((v) => parseBoolean(v, from('reuse')))).to.deep.equal([true, true, true, true, true]);
    expect(['0', 'False', 'no', 'OFF', false].map((v) => parseBoolean(v, from('reuse')))).to.deep.equal([false, false, false, false, false]);
    for (const bad of ['maybe', '', 1, null]) {
      const err = pgdockErrorFrom(() => parseBoolean(bad, from('reuse', 'PGDOCK_REUSE')));
      expect(err.code).to.equal(ErrorCodes.INVALID_OPTION);
      expect(err.summary).to.match(/^Expected the `reuse` option to be a boolean \(true\/false\/1\/0\), got .* \(from PGDOCK_REUSE\)\.$/);
      expect(err.hint).to.equal("Fix PGDOCK_REUSE; see the options table in pgdock's README.");
      expect(err.context).to.deep.equal({ option: 'reuse', source: 'PGDOCK_REUSE' });
    }
  });

  it('whole numbers: from numbers or digit strings, within each option\'s range; empty, fractional and out-of-range fail', function () {
    expect([parseMillis('250', from('keepFor')), parseMillis(1, from('keepFor'))]).to.deep.equal([250, 1]);
    expect([parseCount('0', from('poolSize')), parseCount(64, from('poolSize'))]).to.deep.equal([0, 64]);
    expect([parsePoolSize('1', from('workerPoolSize')), parsePoolSize(1000, from('workerPoolSize'))]).to.deep.equal([1, 1000]);
    expect([parseMaxJobs('1', from('maxJobs')), parseMaxJobs(512, from('maxJobs'))]).to.deep.equal([1, 512]);
    const cases: Array<[() => unknown, string]> = [
      [() => parseMillis('0', from('keepFor')), 'a positive whole number of milliseconds'],
      [() => parseMillis('', from('keepFor')), 'a positive whole number of milliseconds'],
      [() => parseMillis(1.5, from('keepFor')), 'a positive whole number of milliseconds'],
      [() => parseCount('65', from('poolSize')), 'a whole number from 0 to 64'],
      [() => parseCount(-1, from('poolSize')), 'a whole number from 0 to 64'],
      [() => parsePoolSize('0', from('workerPoolSize')), 'a whole number from 1 to 1000'],
      [() => parsePoolSize(1001, from('workerPoolSize')), 'a whole number from 1 to 1000'],
      [() => parseMaxJobs('513', from('maxJobs')), 'a whole number from 1 to 512'],
      [() => parseMaxJobs('2.5', from('maxJobs')), 'a whole number from 1 to 512'],
    ];
    for (const [parse, expected] of cases) expect(pgdockErrorFrom(parse).summary).to.contain(`option to be ${expected}, got`);
  });

  it('strings are trimmed and must not be empty; file lists resolve against the project root', function () {
    expect(parseString('  postgres:16 ', from('image'))).to.equal('postgres:16');
    expect(pgdockErrorFrom(() => parseString('  ', from('image'))).summary).to.contain('`image` option to be a non-empty string');
    expect(parseFileList('a.sql, db/b.sql,', from('sourceSetup'))).to.deep.equal(['/project/a.sql', '/project/db/b.sql']);
    expect(parseFileList(['/abs.sql'], from('sourceSetup'))).to.deep.equal(['/abs.sql']);
    expect(pgdockErrorFrom(() => parseFileList([''], from('sourceSetup'))).summary).to.contain('`sourceSetup` option to be a list of file paths');
  });

  it('postgres arguments split like a shell; unbalanced quotes name where the string came from', function () {
    expect(splitArgs(`-c a=1 -c "b=x y" -c 'c=""'`)).to.deep.equal(['-c', 'a=1', '-c', 'b=x y', '-c', 'c=""']);
    expect(parsePostgresArgs(['-c', 'x=1'], from('postgresArgs'))).to.deep.equal(['-c', 'x=1']);
    expect(pgdockErrorFrom(() => splitArgs("-c 'open")).summary, 'the variable, by default').to.match(/balanced quotes, got .* \(from PGDOCK_POSTGRES_ARGS\)/);
    expect(pgdockErrorFrom(() => parsePostgresArgs("-c 'open", from('postgresArgs', '/p/package.json#pgdock'))).summary).to.match(/\(from \/p\/package\.json#pgdock\)/);
    expect(pgdockErrorFrom(() => parsePostgresArgs([1], from('postgresArgs'))).summary).to.contain('an array of strings');
  });

  it('providers in any case; role names, passwords and exported variables checked without echoing secrets', function () {
    expect(parseProvider(' Docker ', from('provider'))).to.equal('docker');
    expect(pgdockErrorFrom(() => parseProvider('k8s', from('provider'))).summary).to.contain('one of auto, docker, embedded, external');
    expect(parseRoleName('shop', from('workerUser'), 'postgres')).to.equal('shop');
    expect(pgdockErrorFrom(() => parseRoleName('admin', from('workerUser'), 'admin')).summary).to.contain("names admin, pgdock's own admin role");
    expect(pgdockErrorFrom(() => parseRoleName('a'.repeat(64), from('workerUser'), 'postgres')).summary).to.contain('at most 63');
    const secret = pgdockErrorFrom(() => parsePassword(123456, from('workerPassword')));
    expect(secret.summary).to.equal('Expected the `workerPassword` option to be a non-empty string (from the test).');
    expect(parseEnvMap({ DB: 'database' }, from('workerEnv'))).to.deep.equal({ DB: 'database' });
    expect(pgdockErrorFrom(() => parseEnvMap('1DB=url', from('workerEnv'))).summary).to.contain('variables mapped to one of url, host');
    expect(pgdockErrorFrom(() => parseEnvMap(['DB'], from('workerEnv'))).summary).to.contain('variables mapped to one of url, host');
  });
});
