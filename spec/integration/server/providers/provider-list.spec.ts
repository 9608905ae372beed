import { expect } from 'chai';
import Docker from 'dockerode';
import { setTimeout as sleep } from 'node:timers/promises';
import { acquireServerFor } from '../../../../lib/server/acquire-server.js';
import { isProcessAlive } from '../../../../lib/coordination/leases.js';
import { projectKey, serverKey, serverPaths } from '../../../../lib/coordination/server-key.js';
import { loadProvider } from '../../../../lib/server/providers/load-provider.js';
import type { ListScope } from '../../../../lib/server/providers/provider.js';
import { sqlError } from '../../../../lib/server/readiness.js';
import { isolatedOptions } from '../../../support/isolated-server.js';
import { removeProjectServers } from '../../../support/server-watch.js';
import { onlyOn } from '../../../support/spec-provider.js';

async function stopped(pid: number): Promise<boolean> {
  for (let i = 0; i < 250 && isProcessAlive(pid); i++) await sleep(20);
  return !isProcessAlive(pid);
}

// What `pgdock status`, `down` and `prune` see: the CLI reaches servers through these two calls only.
describe('providers list and remove the servers they started', function () {
  this.timeout(120_000);
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async function () {
    while (cleanups.length) await cleanups.pop()!();
  });

  for (const name of ['docker', 'embedded'] as const) {
    it(`${name}: list finds the project's server with its config and state (not another project's); remove stops it and it is listed no more`, async function () {
      // The embedded binaries come with pgdock's dependencies: the embedded case runs on every provider's run.
      if (name === 'docker') onlyOn(this, ['docker'], 'needs a Docker engine');
      const iso = isolatedOptions({ provider: name, reuse: true, postgresArgs: ['-c', 'work_mem=7MB'] });
      cleanups.push(async () => {
        await removeProjectServers(projectKey(iso.options), name);
        await iso.cleanup();
      });
      const options = { ...iso.options, provider: name };
      const info = await acquireServerFor(iso.options, iso.run);
      const provider = await loadProvider(name);
      const scope: ListScope = { project: projectKey(options), stateDir: options.stateDir };

      const [listed, ...more] = await provider.list(scope);
      expect(more, 'one server').to.deep.equal([]);
      expect(listed).to.include({ provider: name, key: serverKey(options), state: 'running', running: true, dir: serverPaths(options).dir });
      expect(listed!.id).to.equal(name === 'docker' ? info.containerId!.slice(0, 12) : String(info.pid));
      expect(listed!.args).to.deep.equal(['-c', 'work_mem=7MB']);
      expect([listed!.info?.port, listed!.info?.password]).to.deep.equal([info.port, info.password]);
      expect(listed!.ageSeconds).to.be.within(0, 600);
      expect(await provider.list({ ...scope, project: 'a0b1c2d3e4f5' }), 'another project lists nothing of ours').to.deep.equal([]);
      expect((await provider.list({ ...scope, project: undefined })).map((s) => s.fullId), 'every project').to.include(listed!.fullId);

      // A server that stopped is still listed, as not running: `down` must still find it.
      if (name === 'docker') await new Docker().getContainer(listed!.fullId).kill();
      else {
        process.kill(info.pid!, 'SIGKILL');
        expect(await stopped(info.pid!)).to.equal(true);
      }
      const [dead] = await provider.list(scope);
      expect(dead).to.include({ fullId: listed!.fullId, running: false, state: 'exited' });

      expect(await provider.remove(dead!)).to.deep.equal([`${name === 'docker' ? 'container' : 'postmaster'} ${listed!.id}`]);
      expect(await provider.list(scope)).to.deep.equal([]);
      expect(await sqlError(info, 1_000), 'the server no longer answers').to.be.a('string');
    });
  }

  it('external: lists nothing and removes nothing (pgdock starts no external server)', async function () {
    const provider = await loadProvider('external');
    expect(await provider.list({ project: undefined, stateDir: '/nonexistent' })).to.deep.equal([]);
    const fake = { provider: 'docker' as const, fullId: 'x', id: 'x', key: '', image: '', state: 'running', running: true, info: undefined, args: undefined, dir: undefined, ageSeconds: 0 };
    expect(await provider.remove(fake)).to.deep.equal([]);
  });
});
