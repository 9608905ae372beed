import { expect } from 'chai';
import Docker from 'dockerode';
import { randomUUID } from 'node:crypto';
import { ErrorCodes } from '../../../../lib/errors.js';
import { containerStatus, DockerEngine } from '../../../../lib/server/docker/engine.js';
import { LABELS } from '../../../../lib/server/docker/labels.js';
import { TEST_IMAGE } from '../../../support/paths.js';
import { pgdockRejection } from '../../../support/should-fail.js';
import { onlyOn } from '../../../support/spec-provider.js';

// Pauses between lines: the engine stamps each stream's lines as it reads them, and `tail` goes by those stamps.
const SCRIPT = 'echo out-1; sleep 0.2; echo err-1 >&2; sleep 0.2; echo "postgres://app:s3cret-pw@db:5432/x"; sleep 0.2; echo err-2 >&2; sleep 0.2; echo out-2';

describe('the Docker engine client (a real engine, throwaway containers of the test image)', function () {
  this.timeout(60_000);
  const docker = new Docker();
  // Labelled with a project of their own, so a crashed run's leftovers are found and never mistaken for others'.
  const project = `spec-engine-${randomUUID().slice(0, 8)}`;
  const made: string[] = [];
  before(function () {
    onlyOn(this, ['docker'], 'needs a Docker engine');
  });
  after(async function () {
    for (const id of made) {
      await docker
        .getContainer(id)
        .remove({ force: true })
        .catch((err: { statusCode?: number }) => {
          if (err.statusCode !== 404) throw err; // 404: a test removed it already
        });
    }
  });

  /** Runs `sh -c script` to its end and returns the container's id. */
  async function ran(script: string, tty = false): Promise<string> {
    const container = await docker.createContainer({ Image: TEST_IMAGE, Entrypoint: ['sh', '-c'], Cmd: [script], Tty: tty, Labels: { [LABELS.project]: project } });
    made.push(container.id);
    await container.start();
    await container.wait();
    return container.id;
  }

  it('logTail: stdout and stderr without the engine\'s frame headers, secrets redacted, the last lines only', async function () {
    const engine = await DockerEngine.connect();
    const id = await ran(SCRIPT);
    const tail = await engine.logTail(id, 20);
    expect([...tail].filter((ch) => ch.charCodeAt(0) < 9), 'no frame header bytes').to.deep.equal([]);
    expect(tail.split('\n').sort()).to.deep.equal(['err-1', 'err-2', 'out-1', 'out-2', 'postgres://app:***@db:5432/x']);
    expect(tail).to.not.contain('s3cret-pw');
    expect((await engine.logTail(id, 2)).split('\n').sort()).to.deep.equal(['err-2', 'out-2']);
  });

  it('logTail: a TTY container\'s log (not framed) comes through whole', async function () {
    const engine = await DockerEngine.connect();
    const tail = await engine.logTail(await ran('echo tty-1; echo tty-2', true), 20);
    expect(tail.replace(/\r/g, '')).to.equal('tty-1\ntty-2');
  });

  it('logTail of a container that is gone says so instead of throwing', async function () {
    const tail = await (await DockerEngine.connect()).logTail('0'.repeat(64), 5);
    expect(tail).to.match(/^\(logs unavailable: /);
  });

  it('containerStatus: exited with its code, removed once gone; no engine is ERR_PGDOCK_DOCKER_UNAVAILABLE', async function () {
    const id = await ran('exit 3');
    expect(await containerStatus(id)).to.include({ state: 'exited', exitCode: 3 });
    await docker.getContainer(id).remove({ force: true });
    expect(await containerStatus(id)).to.deep.equal({ state: 'removed' });
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = 'unix:///run/none.sock';
    try {
      const err = await pgdockRejection(containerStatus(id, 1_000));
      expect(err.code).to.equal(ErrorCodes.DOCKER_UNAVAILABLE);
      expect(err.message).to.contain('DOCKER_HOST=unix:///run/none.sock');
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });
});
