import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes } from '../../../lib/errors.js';
import { defaultStateDir, findProjectRoot, isCi, packageConfigSource, readPackageConfig, userSuffix } from '../../../lib/config/project.js';
import { pgdockErrorFrom } from '../../support/should-fail.js';

describe('the project options default from', function () {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'pgdock-project-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('finds the nearest folder with a package.json, else the folder it started from', function () {
    const nested = join(root, 'a', 'b');
    mkdirSync(nested, { recursive: true });
    expect(findProjectRoot(nested), 'none above (tmpdir has none)').to.equal(nested);
    writeFileSync(join(root, 'package.json'), '{}');
    expect(findProjectRoot(nested)).to.equal(root);
    writeFileSync(join(root, 'a', 'package.json'), '{}');
    expect(findProjectRoot(nested), 'the nearest one').to.equal(join(root, 'a'));
  });

  it('reads package.json#pgdock: {} when there is no file, no section or no JSON; a section that is no object is an error naming the file', function () {
    expect(readPackageConfig(root)).to.deep.equal({});
    writeFileSync(join(root, 'package.json'), '{ not json');
    expect(readPackageConfig(root)).to.deep.equal({});
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'x' }));
    expect(readPackageConfig(root)).to.deep.equal({});
    writeFileSync(join(root, 'package.json'), JSON.stringify({ pgdock: { reuse: false } }));
    expect(readPackageConfig(root)).to.deep.equal({ reuse: false });
    for (const bad of [[1], 'x', null]) {
      writeFileSync(join(root, 'package.json'), JSON.stringify({ pgdock: bad }));
      const err = pgdockErrorFrom(() => readPackageConfig(root));
      expect(err.code).to.equal(ErrorCodes.INVALID_OPTION);
      expect(err.summary).to.contain(`\`pgdock\` option to be an object`).and.to.contain(`(from ${packageConfigSource(root)})`);
    }
    expect(packageConfigSource(root)).to.equal(join(root, 'package.json') + '#pgdock');
  });

  it('keeps state per user, in the temp folder', function () {
    expect(defaultStateDir()).to.equal(join(tmpdir(), `pgdock-${userSuffix()}`));
    if (typeof process.getuid === 'function') expect(userSuffix()).to.equal(String(process.getuid()));
  });

  it('CI is on for any value but empty, 0 and false', function () {
    expect(['true', '1', 'yes', 'TRUE'].map((CI) => isCi({ CI }))).to.deep.equal([true, true, true, true]);
    expect([undefined, '', '0', 'false', 'False'].map((CI) => isCi({ CI }))).to.deep.equal([false, false, false, false, false]);
  });
});
