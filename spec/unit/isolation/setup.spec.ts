import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveOptions } from '../../../lib/config/options.js';
import { ErrorCodes, PgdockError } from '../../../lib/errors.js';
import { assembleSetupText, explainSetupError, loadSetupFunction, resolvePairSetup, setupFailed, setupFileParts, setupSqlFiles } from '../../../lib/isolation/setup.js';

describe('setup', function () {
  let dir: string;
  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'pgdock-setup-spec-'));
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('setupSqlFiles: listed files as given, a folder\'s .sql files by path; a missing one is named', function () {
    mkdirSync(join(dir, 'm'));
    for (const f of ['m/2.sql', 'm/1.sql', 'm/notes.txt', 'seed.data']) writeFileSync(join(dir, f), 'select 1');
    expect(setupSqlFiles([join(dir, 'seed.data'), join(dir, 'm')])).to.deep.equal([join(dir, 'seed.data'), join(dir, 'm/1.sql'), join(dir, 'm/2.sql')]);
    expect(() => setupSqlFiles([join(dir, 'missing.sql')])).to.throw(PgdockError, /missing\.sql does not exist/);
  });

  it('resolvePairSetup keys the setup by its files\' contents', function () {
    const file = join(dir, 'schema.sql');
    writeFileSync(file, 'create table t (id int)');
    const opts = resolveOptions({ projectRoot: dir, sourceSetup: [file] }, {});
    const first = resolvePairSetup(opts);
    expect(resolvePairSetup(opts).key).to.equal(first.key);
    writeFileSync(file, 'create table t (id bigint)');
    expect(resolvePairSetup(opts).key, 'must fail: a changed file, the same key').not.to.equal(first.key);
    rmSync(file);
    expect(() => resolvePairSetup(opts)).to.throw(PgdockError).with.property('code', ErrorCodes.INVALID_OPTION);
  });

  it('explainSetupError names the file and line Postgres pointed into', function () {
    const file = join(dir, 'broken.sql');
    writeFileSync(file, 'create table a (id int);\ncreate tabel b (id int)');
    const setup = assembleSetupText(['create schema s', ...setupFileParts('sourceSetup', [file])]);
    const at = setup.text.indexOf('tabel') + 1;
    const err = explainSetupError(Object.assign(new Error('syntax error at or near "tabel"'), { code: '42601', position: String(at) }), setup);
    expect(err.message).to.match(/^the sourceSetup file .*broken\.sql:2 failed: syntax error at or near "tabel" \(42601\)$/);
    expect(explainSetupError(new Error('boom'), setup).message, 'no position: every file is a suspect').to.match(/^the pair setup \(sourceSetup .*broken\.sql\) failed: boom$/);
  });

  it('loadSetupFunction returns the default export, and refuses a module without a function', async function () {
    writeFileSync(join(dir, 'good.mjs'), 'export default async () => 7;');
    writeFileSync(join(dir, 'bad.mjs'), 'export const notDefault = 1;');
    const fn = await loadSetupFunction<() => Promise<number>>(join(dir, 'good.mjs'), 'pair setup module', '()');
    expect(await fn()).to.equal(7);
    let err: unknown;
    await loadSetupFunction(join(dir, 'bad.mjs'), 'workerSetupModule', '({ sql, url, env })').catch((e: unknown) => (err = e));
    expect(err).to.be.instanceOf(TypeError).with.property('message').that.matches(/the workerSetupModule .*bad\.mjs must export a default async function \(\{ sql, url, env \}\)/);
  });

  it('setupFailed says where, without the password', function () {
    const err = setupFailed(new Error('could not connect to postgres://u:secret@h/d'), 'migrations/1.sql');
    expect(err.code).to.equal(ErrorCodes.PREPARE_FAILED);
    expect(err.message).to.include('failed in migrations/1.sql');
    expect(err.message).not.to.include('secret');
  });
});
