import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes, PgdockError } from '../../../lib/errors.js';
import { resolveOptions } from '../../../lib/config/options.js';
import { hashInputs, matchGlob } from '../../../lib/coordination/inputs-hash.js';
import { prepareOnce } from '../../../lib/prepare/prepare-once.js';

describe('prepareOnce (in one process)', function () {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'pgdock-prepare-'));
    mkdirSync(join(root, 'src', 'deep'), { recursive: true });
    writeFileSync(join(root, 'src', 'a.ts'), 'a');
    writeFileSync(join(root, 'src', 'deep', 'b.ts'), 'b');
    writeFileSync(join(root, 'src', 'deep', 'c.js'), 'c');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const options = () => resolveOptions({ projectRoot: root, stateDir: join(root, 'state') }, {});

  it('globs match *, ** and ? below the project root', function () {
    const names = (g: string) => matchGlob(g, root).map((f) => f.path.slice(root.length + 1));
    expect(names('src/**/*.ts')).to.deep.equal(['src/a.ts', 'src/deep/b.ts']);
    expect(names('src/*.ts')).to.deep.equal(['src/a.ts']);
    expect(names('src/deep/?.js')).to.deep.equal(['src/deep/c.js']);
    expect(names('nope/**')).to.deep.equal([]);
    expect(names('src/**/*.{ts,js}'), 'braces').to.deep.equal(['src/a.ts', 'src/deep/b.ts', 'src/deep/c.js']);
    expect(names('src/deep/[bc].ts'), 'a class').to.deep.equal(['src/deep/b.ts']);
    expect(names('src/deep/b.ts'), 'a plain path').to.deep.equal(['src/deep/b.ts']);
    expect(names('src/*.js'), 'no match').to.deep.equal([]);
  });

  it('the inputs hash follows file contents, glob matches and values', function () {
    const inputs = { files: ['src/a.ts'], globs: ['src/**/*.js'], values: ['1'] };
    const before = hashInputs(inputs, root);
    expect(hashInputs(inputs, root)).to.equal(before);
    writeFileSync(join(root, 'src', 'deep', 'c.js'), 'changed');
    expect(hashInputs(inputs, root)).to.not.equal(before);
    expect(hashInputs({ ...inputs, values: ['2'] }, root)).to.not.equal(hashInputs(inputs, root));
    expect(() => hashInputs({ files: ['missing.txt'] }, root)).to.throw(PgdockError, /input file .*missing\.txt does not exist/);
  });

  it('links are hashed as links: a dangling link, a loop and a link\'s new target all count; nothing is skipped', function () {
    const inputs = { globs: ['src/**/*.ts'], files: ['src'] };
    const before = hashInputs(inputs, root);
    // An editor's lock file: a dangling link beside the sources must not hide them.
    symlinkSync('user@host.1234:1700000000', join(root, 'src', '.#a.ts'));
    const withDangling = hashInputs(inputs, root);
    expect(withDangling, 'the dangling link is an input').to.not.equal(before);
    writeFileSync(join(root, 'src', 'deep', 'b.ts'), 'changed');
    expect(hashInputs(inputs, root), 'a changed source still changes the hash beside a dangling link').to.not.equal(withDangling);
    symlinkSync('.', join(root, 'src', 'deep', 'loop'));
    const withLoop = hashInputs(inputs, root);
    unlinkSync(join(root, 'src', 'deep', 'loop'));
    symlinkSync('..', join(root, 'src', 'deep', 'loop'));
    expect(hashInputs(inputs, root), 'a link is hashed by its target text').to.not.equal(withLoop);
    expect(matchGlob('src/**/*.ts', root).map((e) => e.path.slice(root.length + 1))).to.deep.equal(['src/.#a.ts', 'src/a.ts', 'src/deep/b.ts']);
  });

  it('inputs of the wrong shape: ERR_PGDOCK_INVALID_OPTION naming what was expected', function () {
    for (const [bad, expected] of [
      [['v1'], /expected the `inputs` option to be an object `\{ files\?, globs\?, values\? \}`, got `\["v1"\]` \(array\)/],
      ['v1', /got `"v1"` \(string\)/],
      [{ files: 'src' }, /`files` is a list of non-empty strings/],
      [{ values: [1] }, /`values` is a list of non-empty strings/],
      [{ file: ['src'] }, /unknown key `file`/],
    ] as const) {
      expect(() => hashInputs(bad as never, root), JSON.stringify(bad)).to.throw(PgdockError, expected).with.property('code', ErrorCodes.INVALID_OPTION);
    }
    expect(() => prepareOnce('k', () => 1, { inputs: ['v1'] } as never, options())).to.throw(PgdockError, /`inputs` option/);
    expect(() => prepareOnce('k', () => 1, { timeoutMs: 'soon' } as never, options())).to.throw(PgdockError, /`timeoutMs` option/);
  });

  it('one process, many calls: fn runs once and everyone gets the same JSON result', async function () {
    let calls = 0;
    const fn = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 50));
      return { n: calls };
    };
    const results = await Promise.all([1, 2, 3].map(() => prepareOnce(`same-${root}`, fn, {}, options())));
    expect(calls).to.equal(1);
    expect(results).to.deep.equal([{ n: 1 }, { n: 1 }, { n: 1 }]);
  });

  it('misuse and non-JSON results say what is wrong', async function () {
    expect(() => prepareOnce('', () => 1, {}, options())).to.throw(TypeError, 'needs a key, got `""` (string)');
    expect(() => prepareOnce('k', 42 as never, {}, options())).to.throw(TypeError, 'needs a function to run, got `42` (number)');
    try {
      await prepareOnce(`fn-${root}`, () => () => 1, {}, options());
      expect.fail('should reject');
    } catch (err) {
      expect((err as Error).message).to.contain('must return JSON data');
    }
    try {
      await prepareOnce(`throws-${root}`, () => { throw new Error('boom'); }, {}, options());
      expect.fail('should reject');
    } catch (err) {
      expect((err as PgdockError).code).to.equal(ErrorCodes.PREPARE_FAILED);
    }
  });
});
