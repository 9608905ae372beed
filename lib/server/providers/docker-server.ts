// Covered by spec/integration/server/providers/provider-list.spec.ts (list, remove) and spec/integration/server/acquire-server.spec.ts.
import { join } from 'node:path';
import { createDebug } from '../../debug.js';
import { ErrorCodes, PgdockError } from '../../errors.js';
import { liveLeasesOf, projectKey, serverKey, type ServerOptions, clearState } from '../../coordination/index.js';
import { waitForSql } from '../readiness.js';
import { blamesSettings } from '../postgres-args.js';
import { otherLiveServerLeases } from '../server-leases.js';
import type { ServerInfo } from '../server-info.js';
import { DockerEngine, type FoundContainer, type ImageFacts } from '../docker/engine.js';
import { buildPrepared, findPrepared, PREPARED_LABELS, prunePreparedImages, removePreparedImage } from '../docker/prepared-image.js';
import { adoptWithPassword, waitAndSetPassword } from '../fresh-password.js';
import { LABELS, labelsFor } from '../docker/labels.js';
import type { ListedServer, ListScope, ServerProvider } from './provider.js';

const log = createDebug('docker');

function containerName(options: ServerOptions): string {
  return `pgdock-${projectKey(options)}-${serverKey(options)}`;
}

/** With reuse off, this project's containers of other configs whose runs are gone are leftovers. */
async function sweepOtherConfigs(docker: DockerEngine, options: ServerOptions): Promise<void> {
  const mine = await docker.findContainers({ [LABELS.project]: projectKey(options) });
  for (const c of mine) {
    const dir = c.labels[LABELS.stateDir];
    if (c.labels[LABELS.key] === serverKey(options) || !dir) continue;
    if (liveLeasesOf(dir).length === 0) {
      if (c.state === 'running' && (await otherLiveServerLeases((await docker.describe(c.id, c.image)).info, undefined))?.length) continue;
      log('sweeping leftover container %s of another config', c.id.slice(0, 12));
      await docker.remove(c.id);
      clearState(join(dir, 'server.json'));
    }
  }
}

function startFailed(ready: false | 'died', id: string, image: string, tail: string, timeoutMs: number): PgdockError {
  if (ready === 'died') {
    return new PgdockError(
      ErrorCodes.CONTAINER_FAILED,
      `The Postgres container ${id.slice(0, 12)} (${image}) exited before it accepted SQL. Its last log lines:\n${tail}`,
      'Check PGDOCK_POSTGRES_ARGS and PGDOCK_IMAGE; the log lines above usually name the bad setting.',
      { containerId: id, image },
    );
  }
  return new PgdockError(
    ErrorCodes.STARTUP_TIMEOUT,
    `The Postgres container ${id.slice(0, 12)} (${image}) did not answer SQL within ${timeoutMs} ms. Its last log lines:\n${tail}`,
    'Raise PGDOCK_STARTUP_TIMEOUT on slow machines, or check the log lines above.',
    { containerId: id, image },
  );
}

/**
 * A new server from the prepared image (built first when there is none): container start, a copy
 * into tmpfs, postgres start, its own password; no initdb. One that exits or refuses the build
 * password means the prepared image is not what its labels say: it is removed and built again, once.
 */
async function startFromPrepared(docker: DockerEngine, options: ServerOptions, labels: Record<string, string>, image: ImageFacts, deadline: number): Promise<ServerInfo> {
  for (let attempt = 1; ; attempt++) {
    const prepared = (await findPrepared(docker, image, options)) ?? (await buildPrepared(docker, image, options, deadline));
    const started = Date.now();
    let id: string;
    try {
      id = await docker.createServer(options, containerName(options), labels, image, prepared);
    } catch (err) {
      // `pgdock prune --prepared` (or a rebuild elsewhere) removed it between the look-up and now.
      if ((err as { statusCode?: number }).statusCode !== 404 || attempt > 1) throw err;
      log('prepared image %s went away; preparing anew', prepared.id.slice(7, 19));
      continue;
    }
    const { info, running } = await docker.describe(id, options.image);
    const ready = running ? await waitAndSetPassword(info, prepared.password, deadline, () => docker.isRunning(id)) : 'died';
    if (ready === true) {
      log('started %s from %s in %d ms', id.slice(0, 12), prepared.id.slice(7, 19), Date.now() - started);
      return info;
    }
    const tail = await docker.logTail(id);
    await docker.remove(id);
    if (attempt === 1 && (ready === 'refused' || (ready === 'died' && !blamesSettings(tail)))) {
      log('a server from prepared image %s %s; removing it and preparing anew', prepared.id.slice(7, 19), ready === 'died' ? 'exited' : 'refused its build password');
      await removePreparedImage(docker, prepared.id);
      continue;
    }
    throw startFailed(ready === 'refused' ? 'died' : ready, id, options.image, tail, options.startupTimeout);
  }
}

/** Finds this config's container by labels and waits for it, or creates it. Runs under the lock. Labels are its record: it needs no `ServerPaths`. */
async function startOrAdopt(options: ServerOptions): Promise<ServerInfo> {
  const docker = await DockerEngine.connect();
  const labels = labelsFor(options);
  const deadline = Date.now() + options.startupTimeout;
  // Independent look-ups go out together: start-up time is what users feel most.
  const [found, image] = await Promise.all([
    docker.findContainers({ [LABELS.project]: labels[LABELS.project]!, [LABELS.key]: labels[LABELS.key]! }),
    docker.ensureImage(options.image),
    options.reuse ? undefined : sweepOtherConfigs(docker, options),
  ]);
  let adopted: FoundContainer | undefined;
  for (const c of found) {
    if (!adopted && c.state === 'running') {
      adopted = c;
      log('adopting running container %s', c.id.slice(0, 12));
    } else {
      log('removing leftover container %s (%s)', c.id.slice(0, 12), c.state);
      await docker.remove(c.id);
    }
  }
  if (!adopted) return startFromPrepared(docker, options, labels, image, deadline);
  const id = adopted.id;
  const buildPassword = adopted.labels[PREPARED_LABELS.password];
  const { info, running } = await docker.describe(id, options.image);
  const isAlive = (): Promise<boolean> => docker.isRunning(id);
  const ready = !running ? 'died' : buildPassword ? await adoptWithPassword(info, buildPassword, deadline, isAlive) : await waitForSql(info, deadline, isAlive);
  if (ready === true) return info;
  const tail = await docker.logTail(id);
  await docker.remove(id);
  throw startFailed(ready, id, options.image, tail, options.startupTimeout);
}

/** One labelled container as `list` reports it; a container removed meanwhile reads as not running. */
async function listed(docker: DockerEngine, c: FoundContainer): Promise<ListedServer> {
  const described = await docker.describe(c.id, c.image).catch(() => undefined);
  return {
    provider: 'docker',
    fullId: c.id,
    id: c.id.slice(0, 12),
    key: c.labels[LABELS.key] ?? '',
    image: c.image,
    state: c.state,
    running: c.state === 'running' && !!described?.running,
    info: described?.info,
    args: described?.args,
    dir: c.labels[LABELS.stateDir],
    ageSeconds: Math.max(0, Math.round(Date.now() / 1000 - c.created)),
  };
}

/** A project's containers by their project label, or every pgdock container by its marker. Throws `ERR_PGDOCK_DOCKER_UNAVAILABLE` when no engine answers. */
async function list(scope: ListScope): Promise<ListedServer[]> {
  const docker = await DockerEngine.connect();
  const containers = await docker.findContainers(scope.project ? { [LABELS.project]: scope.project } : { [LABELS.marker]: '1' });
  const found: ListedServer[] = [];
  for (const c of containers) found.push(await listed(docker, c));
  return found;
}

/** The Docker provider: one labelled container per project and config. */
export const dockerServer: ServerProvider = {
  name: 'docker',
  startOrAdopt,
  async removeServer(dir, recorded) {
    const docker = await DockerEngine.connect();
    const ids = (await docker.findContainers({ [LABELS.stateDir]: dir })).map((c) => c.id);
    if (recorded?.containerId && !ids.includes(recorded.containerId)) ids.push(recorded.containerId);
    for (const id of ids) await docker.remove(id);
    return ids;
  },
  async logTail(info, lines) {
    if (!info.containerId) return '(no container recorded)';
    return (await DockerEngine.connect()).logTail(info.containerId, lines);
  },
  list,
  async remove(server) {
    await (await DockerEngine.connect()).remove(server.fullId);
    return [`container ${server.id}`];
  },
  async prunePrepared(all, graceSeconds) {
    return prunePreparedImages(await DockerEngine.connect(), all, graceSeconds);
  },
};
