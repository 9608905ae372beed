import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../support/paths.js';

type Listed = { tests: Array<{ fullTitle: string; file: string }> };

/** The tests a dry run of `mocha --grep <grep>` selects (a dry run runs no hooks and no tests). */
async function dryRun(grep: string | undefined, files = 'dist/spec/**/*.spec.js'): Promise<Listed['tests']> {
  const mocha = join(REPO_ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
  const args = [mocha, '--no-config', '--dry-run', '--reporter', 'json', ...(grep ? ['--grep', grep] : []), files];
  const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: REPO_ROOT, maxBuffer: 16 << 20 });
  return (JSON.parse(stdout) as Listed).tests;
}

/** The titles of `selected` that are not exactly `wanted` (strays and misses), for one deep-equal. */
function selectionProblems(selected: Listed['tests'], wanted: Listed['tests']): string[] {
  const key = (t: { fullTitle: string }) => t.fullTitle;
  const have = new Set(selected.map(key));
  const want = new Set(wanted.map(key));
  return [...selected.filter((t) => !want.has(key(t))).map((t) => `stray: ${key(t)}`), ...wanted.filter((t) => !have.has(key(t))).map((t) => `missed: ${key(t)}`)];
}

describe('spec titles', function () {
  this.timeout(30_000);

  it('grepping a write mode\'s name (the one that swaps tables) selects that mode\'s pipeline tests only', async function () {
    const tests = await dryRun('replace');
    expect(tests.length).to.be.greaterThan(2);
    const strays = tests.filter((t) => !t.file.includes(join('e2e', 'pipelines')));
    expect(strays.map((t) => t.fullTitle)).to.deep.equal([]);
  });

  it('grepping the dead-letter policy\'s value selects exactly its pipeline tests (npm test -- --grep with that value)', async function () {
    const [selected, policyTests] = await Promise.all([dryRun('dead_letter'), dryRun(undefined, 'dist/spec/e2e/pipelines/*.spec.js')]);
    const deadLetterCases = policyTests.filter((t) => / bad_rows: dead_letter — /.test(t.fullTitle));
    expect(deadLetterCases.length).to.be.greaterThan(3);
    expect(selectionProblems(selected, deadLetterCases)).to.deep.equal([]);
  });

  it('the selection check sees a stray and a miss (must fail)', function () {
    const test = (fullTitle: string) => ({ fullTitle, file: 'x.spec.js' });
    expect(selectionProblems([test('a bad_rows: dead_letter — x'), test('copies dead_letter tables')], [test('a bad_rows: dead_letter — x'), test('b bad_rows: dead_letter — y')]))
      .to.deep.equal(['stray: copies dead_letter tables', 'missed: b bad_rows: dead_letter — y']);
  });
});
