import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../support/paths.js';

describe('spec titles', function () {
  this.timeout(30_000);

  it('grepping a write mode\'s name (the one that swaps tables) selects that mode\'s pipeline tests only', async function () {
    const mocha = join(REPO_ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
    // A dry run lists the matching tests without running hooks or tests.
    const { stdout } = await promisify(execFile)(process.execPath, [mocha, '--no-config', '--dry-run', '--reporter', 'json', '--grep', 'replace', 'dist/spec/**/*.spec.js'], { cwd: REPO_ROOT, maxBuffer: 16 << 20 });
    const { tests } = JSON.parse(stdout) as { tests: Array<{ fullTitle: string; file: string }> };
    expect(tests.length).to.be.greaterThan(2);
    const strays = tests.filter((t) => !t.file.includes(join('e2e', 'pipelines')));
    expect(strays.map((t) => t.fullTitle)).to.deep.equal([]);
  });
});
