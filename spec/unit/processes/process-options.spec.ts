import { expect } from 'chai';
import { ErrorCodes } from '../../../lib/errors.js';
import { resolveProcessOptions } from '../../../lib/processes/process-options.js';
import { pgdockErrorFrom } from '../../support/should-fail.js';

describe('processes/process-options: startProcess()\'s options', function () {
  it('defaults: name from the command, 10 s timeout, 2 s grace, env merged over process.env (undefined removes)', function () {
    process.env.PGDOCK_SPEC_PROCESS_VAR = 'inherited';
    try {
      const resolved = resolveProcessOptions({ command: '/usr/bin/env', env: { EXTRA: '1', PGDOCK_SPEC_PROCESS_VAR: undefined } });
      expect(resolved).to.include({ name: 'env', timeout: 10_000, stopGrace: 2_000 });
      expect(resolved.env.EXTRA).to.equal('1');
      expect(resolved.env).to.not.have.property('PGDOCK_SPEC_PROCESS_VAR');
      expect(resolved.ready).to.equal(undefined);
    } finally {
      delete process.env.PGDOCK_SPEC_PROCESS_VAR;
    }
  });

  const bad: [string, unknown, RegExp][] = [
    ['no command', {}, /`command` option of startProcess\(\) to be a non-empty string, got `undefined`/],
    ['a misspelt option', { command: 'x', stopGrase: 1 }, /`stopGrase` is not an option of startProcess\(\); did you mean `stopGrace`\?/],
    ['args not strings', { command: 'x', args: [1] }, /`args` option .* an array of strings/],
    ['a negative timeout', { command: 'x', timeout: -1 }, /`timeout` option .* a number of milliseconds above 0, got `-1`/],
    ['two ready kinds', { command: 'x', ready: { log: /a/, port: 1 } }, /exactly one of/],
    ['a misspelt ready kind', { command: 'x', ready: { prot: 5000 } }, /`prot` is not an option of startProcess\(\) `ready`; did you mean `port`\?/],
    ['a port out of range', { command: 'x', ready: { port: 70000 } }, /`ready.port` option .* a port number/],
    ['a non-http URL', { command: 'x', ready: { url: 'ftp://h/' } }, /`ready.url` option .* an http:\/\/ or https:\/\/ URL/],
    ['a check that is no function', { command: 'x', ready: { check: true } }, /`ready.check` option .* a function/],
  ];
  for (const [what, input, message] of bad) {
    it(`must fail: ${what} is ERR_PGDOCK_INVALID_OPTION`, function () {
      const err = pgdockErrorFrom(() => resolveProcessOptions(input));
      expect(err.code).to.equal(ErrorCodes.INVALID_OPTION);
      expect(err.message).to.match(message);
      expect(err.hint).to.contain("Start the system under test's processes");
    });
  }
});
