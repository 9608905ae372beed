import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes, PgdockError } from '../../lib/errors.js';
import { resolveOptions } from '../../lib/options.js';
import { hashInputs, matchGlob, prepareOnce } from '../../lib/prepare-once.js';

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
    const names = (g: string) => matchGlob(g, root).map((f) => f.slice(root.length + 1));
    expect(names('src/**/*.ts')).to.deep.equal(['src/a.ts', 'src/deep/b.ts']);
    expect(names('src/*.ts')).to.deep.equal(['src/a.ts']);
    expect(names('src/deep/?.js')).to.deep.equal(['src/deep/c.js']);
    expect(names('nope/**')).to.deep.equal([]);
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
