import { expect } from 'chai';
import { createRequire } from 'node:module';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { defaultJobs } from '../../../lib/config/default-jobs.js';
import { RUN_JOBS_ENV, mochaMode } from '../../../lib/mocha/mocha-mode.js';
import { REPO_ROOT } from '../../support/paths.js';

describe('mochaMode: where a process sits in a mocha run', function () {
  const mochaBin = createRequire(import.meta.url).resolve('mocha/bin/mocha.js');
  let cwd: string;
  let dir: string;
  beforeEach(() => {
    cwd = process.cwd();
    dir = mkdtempSync(join(tmpdir(), 'pgdock-mode-'));
    process.chdir(dir);
  });
  afterEach(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a worker is told by MOCHA_WORKER_ID; its jobs come from the main process', function () {
    expect(mochaMode({ MOCHA_WORKER_ID: '3', PGDOCK_RUN_JOBS: '4' }, ['node', mochaBin])).to.deep.equal({ role: 'worker', jobs: 4, workerId: '3' });
  });

  it('the main process reads mocha\'s options as mocha did: flags, and the rc file of the working directory', function () {
    expect(mochaMode({}, ['node', mochaBin, '--parallel', '--jobs', '4'])).to.deep.equal({ role: 'parallel-main', jobs: 4, workerId: '0' });
    expect(mochaMode({}, ['node', mochaBin, '-p'])).to.deep.equal({ role: 'parallel-main', jobs: defaultJobs(), workerId: '0' });
    expect(mochaMode({}, ['node', mochaBin])).to.deep.equal({ role: 'serial', jobs: 1, workerId: '0' });
    writeFileSync(join(dir, '.mocharc.json'), JSON.stringify({ parallel: true, jobs: 3 }));
    expect(mochaMode({}, ['node', mochaBin])).to.deep.equal({ role: 'parallel-main', jobs: 3, workerId: '0' });
    expect(mochaMode({}, ['node', mochaBin, '--no-parallel'])).to.deep.equal({ role: 'serial', jobs: 1, workerId: '0' });
  });

  it('a process mocha\'s CLI did not start is outside', function () {
    expect(mochaMode({}, ['node', join(dir, 'script.js')]).role).to.equal('outside');
  });

  it('the run\'s jobs reach workers through one variable, which only mocha-mode reads and only register sets', function () {
    const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true })
      .flatMap((e) => e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
    const naming = [...files(join(REPO_ROOT, 'lib')), ...files(join(REPO_ROOT, 'hooks'))]
      .filter((file) => /\bRUN_JOBS_ENV\b|PGDOCK_RUN_JOBS/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(REPO_ROOT, file)).sort();
    expect(naming, 'options are resolved without it: jobs are passed as a value').to.deep.equal(['lib/mocha/mocha-mode.ts', 'lib/mocha/process-start.ts']);
    expect(mochaMode({ MOCHA_WORKER_ID: '1', [RUN_JOBS_ENV]: '0' }, ['node']).jobs, 'a bad value falls back to mocha\'s default').to.equal(defaultJobs());
  });
});
