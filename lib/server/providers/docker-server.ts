import { join } from 'node:path';
import { createDebug } from '../../debug.js';
import { ErrorCodes, PgdockError } from '../../errors.js';
import { sweepLeases } from '../../coordination/leases.js';
import { waitForSql } from '../readiness.js';
import { otherLiveServerLeases } from '../server-leases.js';
import type { ServerInfo } from '../server-info.js';
import { projectKey, serverKey, serverPaths, type ServerOptions } from '../../coordination/server-key.js';
import { clearState } from '../../coordination/state-file.js';
import { DockerProvider, LABELS } from '../docker/engine.js';
import type { ServerProvider } from './provider.js';

const log = createDebug('docker');

function containerName(options: ServerOptions): string {
  return `pgdock-${projectKey(options)}-${serverKey(options)}`;
}

function labelsFor(options: ServerOptions): Record<string, string> {
  return {
    [LABELS.marker]: '1',
    [LABELS.key]: serverKey(options),
    [LABELS.project]: projectKey(options),
    [LABELS.projectRoot]: options.projectRoot,
    [LABELS.stateDir]: serverPaths(options).dir,
  };
}

/** With reuse off, this project's containers of other configs whose runs are gone are leftovers. */
async function sweepOtherConfigs(docker: DockerProvider, options: ServerOptions): Promise<void> {
  const mine = await docker.findContainers({ [LABELS.project]: projectKey(options) });
  for (const c of mine) {
    const dir = c.labels[LABELS.stateDir];
    if (c.labels[LABELS.key] === serverKey(options) || !dir) continue;
    if (sweepLeases(join(dir, 'leases')).length === 0) {
      if (c.state === 'running' && (await otherLiveServerLeases((await docker.describe(c.id, c.image)).info, undefined))?.length) continue;
      log('sweeping leftover container %s of another config', c.id.slice(0, 12));
      await docker.remove(c.id);
      clearState(join(dir, 'server.json'));
    }
  }
}

/** Finds this config's container by labels and waits for it, or creates it. Runs under the lock. Labels are its record: it needs no `ServerPaths`. */
async function startOrAdopt(options: ServerOptions): Promise<ServerInfo> {
  const docker = await DockerProvider.connect();
  const labels = labelsFor(options);
  const deadline = Date.now() + options.startupTimeout;
  // Independent look-ups go out together: start-up time is what users feel most.
  const [found, pgdata] = await Promise.all([
    docker.findContainers({ [LABELS.project]: labels[LABELS.project]!, [LABELS.key]: labels[LABELS.key]! }),
    docker.ensureImage(options.image),
    options.reuse ? undefined : sweepOtherConfigs(docker, options),
  ]);
  let id: string | undefined;
  for (const c of found) {
    if (!id && c.state === 'running') {
      id = c.id;
      log('adopting running container %s', c.id.slice(0, 12));
    } else {
      log('removing leftover container %s (%s)', c.id.slice(0, 12), c.state);
      await docker.remove(c.id);
    }
  }
  if (!id) {
    const started = Date.now();
    id = await docker.createServer(options, containerName(options), labels, pgdata);
    log('started %s in %d ms', id.slice(0, 12), Date.now() - started);
  }
  const { info, running } = await docker.describe(id, options.image);
  const ready = running ? await waitForSql(info, deadline, () => docker.isRunning(id)) : 'died';
  if (ready === true) return info;
  const tail = await docker.logTail(id);
  await docker.remove(id);
  if (ready === 'died') {
    throw new PgdockError(
      ErrorCodes.CONTAINER_FAILED,
      `The Postgres container ${id.slice(0, 12)} (${options.image}) exited before it accepted SQL. Its last log lines:\n${tail}`,
      'Check PGDOCK_POSTGRES_ARGS and PGDOCK_IMAGE; the log lines above usually name the bad setting.',
      { containerId: id, image: options.image },
    );
  }
  throw new PgdockError(
    ErrorCodes.STARTUP_TIMEOUT,
    `The Postgres container ${id.slice(0, 12)} (${options.image}) did not answer SQL within ${options.startupTimeout} ms. Its last log lines:\n${tail}`,
    'Raise PGDOCK_STARTUP_TIMEOUT on slow machines, or check the log lines above.',
    { containerId: id, image: options.image },
  );
}

/** The Docker provider: one labelled container per project and config. */
export const dockerServer: ServerProvider = {
  name: 'docker',
  startOrAdopt,
  async removeServer(dir, recorded) {
    const docker = await DockerProvider.connect();
    const ids = (await docker.findContainers({ [LABELS.stateDir]: dir })).map((c) => c.id);
    if (recorded?.containerId && !ids.includes(recorded.containerId)) ids.push(recorded.containerId);
    for (const id of ids) await docker.remove(id);
    return ids;
  },
  async logTail(info, lines) {
    if (!info.containerId) return '(no container recorded)';
    return (await DockerProvider.connect()).logTail(info.containerId, lines);
  },
};
