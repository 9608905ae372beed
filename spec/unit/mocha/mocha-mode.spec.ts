import { expect } from 'chai';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultJobs } from '../../../lib/config/default-jobs.js';
import { mochaMode } from '../../../lib/mocha/mocha-mode.js';

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
});
