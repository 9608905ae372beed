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
    ['args not strings', { command: 'x', args: ['-v', 1] }, /`args\[1\]` option of startProcess\(\) to be a string, got `1` \(number\)/],
    ['a negative timeout', { command: 'x', timeout: -1 }, /`timeout` option .* a number of milliseconds above 0, got `-1`/],
    ['two ready kinds', { command: 'x', ready: { log: /a/, port: 1 } }, /exactly one of .*, got `log` and `port`\./],
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

  describe('must fail: a bad option never shows a password', function () {
    const PASSWORD = 'pw-7f3c9a';
    const cases: [string, unknown, RegExp][] = [
      ['an args element that is no string, next to a URL', { command: 'x', args: ['--db', `postgres://app:${PASSWORD}@db:5432/app`, 1] }, /`args\[2\]` option .* a string, got `1` \(number\)/],
      ['an args element that is an object holding a URL', { command: 'x', args: [{ url: `http://admin:${PASSWORD}@h/` }] }, /`args\[0\]` option .* a string, got an object\./],
      ['args as one string (a URL)', { command: 'x', args: `http://admin:${PASSWORD}@h/` }, /`args` option .* an array of strings, got `"http:\/\/admin:\*\*\*@h\/"` \(string\)/],
      ['a long URL whose `@` a shortened value would cut', { command: 'x', args: `postgres://app:${PASSWORD}${'x'.repeat(80)}@h/db` }, /`args` option .* got `"postgres:\/\/app:\*\*\*@h\/db"` \(string\)/],
      ['a ready with a URL and a port', { command: 'x', ready: { url: `http://admin:${PASSWORD}@127.0.0.1:8080/health`, port: 5 } }, /`ready` option .* exactly one of .*, got `port` and `url`\./],
      ['a ready that is a URL string', { command: 'x', ready: `http://admin:${PASSWORD}@h/` }, /`ready` option .* an object: .*, got `"http:\/\/admin:\*\*\*@h\/"` \(string\)/],
      ['a ready.host given with a URL', { command: 'x', ready: { url: `http://admin:${PASSWORD}@h/`, host: `admin:${PASSWORD}@h` } }, /`ready.host` option .* given with `port` only, got it with `url`\./],
    ];
    for (const [what, input, message] of cases) {
      it(`${what}: the element and its type (or the value, password hidden), never the password`, function () {
        const err = pgdockErrorFrom(() => resolveProcessOptions(input));
        expect(err.code).to.equal(ErrorCodes.INVALID_OPTION);
        expect(err.message).to.match(message);
        expect(`${err.message} ${err.hint} ${JSON.stringify(err.context)}`).to.not.contain(PASSWORD);
      });
    }
  });
});
