import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const debugModule = fileURLToPath(new URL('../../lib/debug.js', import.meta.url));

/** Logs through two loggers in a fresh process (the `debug` package reads DEBUG when it loads). */
function logWith(debug: string | undefined): string[] {
  const script = `
    const { createDebug } = await import(${JSON.stringify(debugModule)});
    createDebug('lock')('took %s for %d ms', 'postgres://app:s3cret-pw@db:5432/x', 12);
    createDebug('docker')('pulled %s', 'postgres:18');
  `;
  const env: NodeJS.ProcessEnv = { ...process.env, DEBUG_COLORS: 'no' };
  if (debug === undefined) delete env.DEBUG;
  else env.DEBUG = debug;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' });
  expect(child.status, child.stderr).to.equal(0);
  return child.stderr.split('\n').filter(Boolean);
}

describe('debug log (DEBUG=pgdock:*)', function () {
  it('writes namespaced lines with the pid, secrets removed', function () {
    const lines = logWith('pgdock:*');
    expect(lines).to.have.length(2);
    expect(lines[0]).to.match(/^\d{4}-\d\d-\d\dT[\d:.]+Z pgdock:lock \[\d+\] took postgres:\/\/app:\S+@db:5432\/x for 12 ms$/);
    expect(lines.join('\n')).not.to.contain('s3cret-pw');
    expect(lines[1]).to.match(/ pgdock:docker \[\d+\] pulled postgres:18$/);
  });

  it('prints nothing when DEBUG does not name it (must fail if logging were always on)', function () {
    expect(logWith(undefined)).to.deep.equal([]);
    expect(logWith('mocha:*')).to.deep.equal([]);
  });

  it('follows a list and exclusions: pgdock:*,-pgdock:lock', function () {
    const lines = logWith('pgdock:*,-pgdock:lock');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.contain('pgdock:docker');
  });
});
