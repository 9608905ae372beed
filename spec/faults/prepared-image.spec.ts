// In the faults phase (after the main suite): its image builds, commits and prunes of every unused
// prepared image load the engine and both cores, and must not race the main suite's cold starts.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { acquireServerFor } from '../../lib/server/acquire-server.js';
import type { ResolvedOptions } from '../../lib/config/options.js';
import type { RunIdentity } from '../../lib/coordination/run-identity.js';
import { DockerEngine, type ImageFacts } from '../../lib/server/docker/engine.js';
import { BUILD_NAME_PREFIX, findPrepared, PREPARED_LABELS, PREPARED_REPO, preparedInputs, prunePreparedImages } from '../../lib/server/docker/prepared-image.js';
import { releaseLease } from '../../lib/server/release-server.js';
import type { ServerInfo } from '../../lib/server/server-info.js';
import { serverPaths, type ServerOptions } from '../../lib/coordination/server-key.js';
import { isolatedOptions } from '../support/isolated-server.js';
import { passwordProblem } from '../support/server-query.js';
import { onlyOn } from '../support/spec-provider.js';
import { TEST_IMAGE } from '../support/paths.js';

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** The image id a container runs. */
function imageOf(containerId: string): string {
  return docker('inspect', '--format', '{{.Image}}', containerId);
}

describe('prepared images: a cold Docker start without initdb (real Docker, real Postgres)', function () {
  this.timeout(180_000);
  // A base tag of this spec's own: its prepared images are this spec's alone (their inputs hold the tag), and go with it.
  const base = `pgdock-spec-prepared-${randomBytes(4).toString('hex')}:base`;
  const otherBase = base.replace(':base', ':other');
  let engine: DockerEngine;
  const cleanups: Array<() => Promise<void>> = [];

  before(async function () {
    onlyOn(this, ['docker'], 'prepared images are the Docker provider\'s');
    engine = await DockerEngine.connect();
    docker('tag', TEST_IMAGE, base);
    docker('tag', TEST_IMAGE, otherBase);
  });
  afterEach(async function () {
    while (cleanups.length) await cleanups.pop()!();
  });
  after(async function () {
    if (!engine) return;
    for (const tag of [base, otherBase]) {
      for (const id of docker('images', '-q', '--no-trunc', '--filter', `label=${PREPARED_LABELS.base}=${tag}`).split('\n').filter(Boolean)) {
        await engine.client.getImage(id).remove({ force: true }).catch(() => {});
      }
      await engine.client.getImage(tag).remove().catch(() => {});
    }
  });

  function project(image = base): { options: ServerOptions; run: RunIdentity } {
    const iso = isolatedOptions({ provider: 'docker', image });
    cleanups.push(iso.cleanup);
    return { options: { ...iso.options, provider: 'docker' }, run: iso.run };
  }
  async function start(p: { options: ResolvedOptions; run: RunIdentity }): Promise<ServerInfo> {
    const info = await acquireServerFor(p.options, p.run);
    cleanups.push(async () => void (await releaseLease(serverPaths(p.options as ServerOptions).dir, p.run.runId, p.options)));
    return info;
  }
  const facts = (image = base): Promise<ImageFacts> => engine.ensureImage(image);
  const preparedTag = async (image = base): Promise<string> => `${PREPARED_REPO}:${preparedInputs(await facts(image), { user: 'postgres', database: 'postgres' })}`;

  it('a cold start runs the prepared image: its own password answers, the build password is refused, and no initdb ran', async function () {
    const p = project();
    const info = await start(p);
    const prepared = await findPrepared(engine, await facts(), p.options);
    expect(prepared, 'the first cold start built the prepared image').to.not.equal(undefined);
    expect(imageOf(info.containerId!)).to.equal(prepared!.id);
    expect(await passwordProblem(info, info.password)).to.equal(undefined);
    expect(await passwordProblem(info, prepared!.password), 'the build password').to.equal('28P01');
    expect(await engine.logTail(info.containerId!, 200)).to.not.include('database initialised');

    // Must fail: a container of the prepared image whose password was not handed over still takes the build password, and one of the base image runs initdb.
    const raw = await engine.createServer(p.options, `pgdock-spec-raw-${randomBytes(3).toString('hex')}`, {}, await facts(), prepared);
    cleanups.push(() => engine.remove(raw));
    const rawInfo = (await engine.describe(raw, base)).info;
    let answered: string | undefined = 'never tried';
    for (const until = Date.now() + 60_000; Date.now() < until && answered !== undefined; await new Promise((r) => setTimeout(r, 100))) answered = await passwordProblem(rawInfo, prepared!.password);
    expect(answered, 'a server that kept the build password takes it').to.equal(undefined);
    const plain = await engine.createServer(p.options, `pgdock-spec-plain-${randomBytes(3).toString('hex')}`, {}, await facts());
    cleanups.push(() => engine.remove(plain));
    let log = '';
    for (const until = Date.now() + 60_000; Date.now() < until && !log.includes('database initialised'); await new Promise((r) => setTimeout(r, 200))) log = await engine.logTail(plain, 200);
    expect(log, 'a server of the base image logs its initdb').to.include('database initialised');
  });

  it('the next cold start uses the same prepared image with another password; another base tag builds another', async function () {
    const first = await start(project());
    const again = await start(project());
    expect(imageOf(again.containerId!)).to.equal(imageOf(first.containerId!));
    expect(again.password).to.not.equal(first.password);
    expect(await passwordProblem(again, first.password), 'the first server\'s password on the second').to.equal('28P01');

    const other = await start(project(otherBase));
    expect(await preparedTag(otherBase)).to.not.equal(await preparedTag());
    expect(imageOf(other.containerId!), 'another base tag, same image id').to.not.equal(imageOf(first.containerId!));
    expect(preparedInputs(await facts(), { user: 'postgres', database: 'other' })).to.not.equal(preparedInputs(await facts(), { user: 'postgres', database: 'postgres' }));
    expect(preparedInputs({ ref: base, id: 'sha256:another' }, { user: 'postgres', database: 'postgres' })).to.not.equal(preparedInputs(await facts(), { user: 'postgres', database: 'postgres' }));
  });

  it('a prepared tag without labels, with a wrong build password, or without a cluster is not used: it is rebuilt', async function () {
    const tag = await preparedTag();
    const good = await findPrepared(engine, await facts(), project().options) ?? (await start(project()), await findPrepared(engine, await facts(), project().options));
    const goodLabels = labelsOf(good!.id);
    const variants: Array<[string, () => void]> = [
      ['no labels', () => docker('tag', base, tag)],
      ['a wrong build password', () => commitFrom(tag, [`${PREPARED_LABELS.password}=wrong`])],
      ['no cluster', () => commitFrom(base, goodLabels)],
    ];
    for (const [what, plant] of variants) {
      plant();
      const planted = docker('image', 'inspect', '--format', '{{.Id}}', tag);
      // Must fail: the labelled plants pass the label check; only the start finds them out.
      if (what !== 'no labels') expect((await findPrepared(engine, await facts(), project().options))?.id, what).to.equal(planted);
      else expect(await findPrepared(engine, await facts(), project().options), what).to.equal(undefined);
      const info = await start(project());
      expect(await passwordProblem(info, info.password), what).to.equal(undefined);
      const now = docker('image', 'inspect', '--format', '{{.Id}}', tag);
      expect(now, `${what}: rebuilt`).to.not.equal(planted);
      expect(imageOf(info.containerId!), what).to.equal(now);
    }

    function labelsOf(id: string): string[] {
      const labels = JSON.parse(docker('image', 'inspect', '--format', '{{json .Config.Labels}}', id)) as Record<string, string>;
      return Object.entries(labels).filter(([k]) => k.startsWith('pgdock.prepared')).map(([k, v]) => `${k}=${v}`);
    }
    function commitFrom(image: string, labels: string[]): void {
      const c = docker('create', ...labels.flatMap((l) => ['--label', l]), image, 'true');
      try {
        docker('commit', c, tag);
      } finally {
        docker('rm', c);
      }
    }
  });

  it('two cold starts at once that both build the prepared image both succeed, and leave one tag and no build container', async function () {
    for (const id of docker('images', '-q', '--no-trunc', '--filter', `label=${PREPARED_LABELS.base}=${base}`).split('\n').filter(Boolean)) {
      await engine.client.getImage(id).remove({ force: true }).catch(() => {});
    }
    expect(await findPrepared(engine, await facts(), project().options), 'none before').to.equal(undefined);
    const [a, b] = await Promise.all([start(project()), start(project())]);
    for (const info of [a, b]) expect(await passwordProblem(info, info.password)).to.equal(undefined);
    const prepared = await findPrepared(engine, await facts(), project().options);
    expect(prepared).to.not.equal(undefined);
    expect(docker('images', '--format', '{{.Tag}}', '--filter', `label=${PREPARED_LABELS.base}=${base}`).split('\n').filter((t) => t !== '<none>')).to.deep.equal([(await preparedTag()).split(':')[1]]);
    expect(docker('ps', '-aq', '--filter', `name=^/${BUILD_NAME_PREFIX}${preparedInputs(await facts(), { user: 'postgres', database: 'postgres' })}`)).to.equal('');
  });

  it('prune removes a prepared image whose base image is gone, keeps a current one unless --prepared, and keeps one a container uses', async function () {
    const info = await start(project(otherBase));
    const otherTag = await preparedTag(otherBase);
    const current = await preparedTag();
    if (!(await findPrepared(engine, await facts(), project().options))) await start(project());

    // Must fail first: with its base there, neither is stale.
    let pruned = await prunePreparedImages(engine, false, 0);
    expect(pruned.removed.join('\n')).to.not.include(otherTag).and.not.include(current);

    const otherId = imageOf(info.containerId!);
    docker('rmi', otherBase);
    pruned = await prunePreparedImages(engine, false, 0);
    expect(pruned.kept.join('\n'), 'a running server uses it').to.include(otherTag);
    await engine.remove(info.containerId!);
    pruned = await prunePreparedImages(engine, false, 0);
    expect(pruned.removed.join('\n')).to.include(`${otherTag} (from ${otherBase}): its base image ${otherBase} is gone`);
    expect(() => docker('image', 'inspect', otherId)).to.throw();
    expect(docker('image', 'inspect', '--format', '{{.Id}}', current), 'the current one stays').to.match(/^sha256:/);
    docker('tag', TEST_IMAGE, otherBase); // for after()

    pruned = await prunePreparedImages(engine, true, 0);
    expect(pruned.removed.join('\n')).to.include(current);
    expect(() => docker('image', 'inspect', current)).to.throw();
  });
});
