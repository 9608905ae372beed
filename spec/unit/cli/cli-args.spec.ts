import { expect } from 'chai';
import { isCommand, parseCommandLine } from '../../../lib/cli/cli-args.js';

describe('cli-args: a command\'s flags, read by node:util parseArgs, problems in pgdock\'s words', function () {
  it('reads each command\'s flags, in both value forms; the last --server wins', function () {
    expect(parseCommandLine('status', [])).to.deep.equal({ command: 'status', flags: {} });
    expect(parseCommandLine('status', ['--json'])).to.deep.equal({ command: 'status', flags: { json: true } });
    expect(parseCommandLine('down', ['--force'])).to.deep.equal({ command: 'down', flags: { force: true } });
    expect(parseCommandLine('prune', ['--prepared'])).to.deep.equal({ command: 'prune', flags: { prepared: true } });
    expect(parseCommandLine('url', ['--server', 'abc123'])).to.deep.equal({ command: 'url', flags: { server: 'abc123' } });
    expect(parseCommandLine('url', ['--server=abc123'])).to.deep.equal({ command: 'url', flags: { server: 'abc123' } });
    expect(parseCommandLine('url', ['--server', 'a', '--server=b'])).to.deep.equal({ command: 'url', flags: { server: 'b' } });
    expect(parseCommandLine('url', ['--server', '-1']), 'a value may start with one dash').to.deep.equal({ command: 'url', flags: { server: '-1' } });
  });

  it('an unknown flag, another command\'s flag, a short flag or a bare word: "<command> does not take <arg as typed>"', function () {
    const cases: Array<[Parameters<typeof parseCommandLine>[0], string[], string]> = [
      ['status', ['--jsn'], 'status does not take "--jsn"'],
      ['prune', ['--force=1'], 'prune does not take "--force=1"'],
      ['status', ['-j'], 'status does not take "-j"'],
      ['status', ['-abc'], 'status does not take "-abc"'],
      ['status', ['x'], 'status does not take "x"'],
      ['status', ['--', 'x'], 'status does not take "--"'],
      ['url', ['--server', 'a', 'b'], 'url does not take "b"'],
      ['down', ['--force', '--json'], 'down does not take "--json"'],
      ['down', ['--prepared'], 'down does not take "--prepared"'],
    ];
    for (const [command, args, problem] of cases) expect(parseCommandLine(command, args), args.join(' ')).to.deep.equal({ problem });
  });

  it('a value for a flag that takes none: "<flag> takes no value"', function () {
    expect(parseCommandLine('status', ['--json=1'])).to.deep.equal({ problem: '--json takes no value' });
    expect(parseCommandLine('down', ['--force='])).to.deep.equal({ problem: '--force takes no value' });
  });

  it('--server without a value (missing, empty, or another flag in its place): "needs a value"', function () {
    for (const args of [['--server'], ['--server='], ['--server', ''], ['--server', '--json'], ['--server', '--']]) {
      expect(parseCommandLine('url', args), args.join(' ')).to.deep.equal({ problem: '--server needs a value, e.g. --server <id>' });
    }
  });

  it('the first problem, in the order given, is the one said', function () {
    expect(parseCommandLine('url', ['--nope', '--server'])).to.deep.equal({ problem: 'url does not take "--nope"' });
    expect(parseCommandLine('url', ['--server', '--nope'])).to.deep.equal({ problem: '--server needs a value, e.g. --server <id>' });
  });

  it('isCommand: the four commands only, not names every object has', function () {
    expect(['status', 'down', 'prune', 'url'].every(isCommand)).to.equal(true);
    expect(['toString', 'constructor', 'help', 'STATUS', ''].some(isCommand)).to.equal(false);
  });
});
