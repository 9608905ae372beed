// Covered by spec/integration/server/prepared-cluster.spec.ts.
import { randomBytes } from 'node:crypto';
import { createDebug } from '../../debug.js';
import { ErrorCodes, PgdockError } from '../../errors.js';
import { shortHash } from '../../coordination/index.js';
import { SPEED_ARGS } from '../postgres-args.js';
import { waitForSql } from '../readiness.js';
import type { ServerInfo } from '../server-info.js';
import { publishedHost, type ClusterSource, type DockerEngine, type ImageFacts } from './engine.js';
import { labelFilter } from './labels.js';

const log = createDebug('docker');

/*
 * A prepared image: the base image plus a cluster its own entrypoint initialised, stopped cleanly and
 * committed, at a path no VOLUME covers (a commit never holds a volume's contents). A cold start
 * copies it into the tmpfs PGDATA instead of running initdb. One per base image (name and id) and
 * the settings that shape initdb, tagged `pgdock-prepared:<inputs hash>`, found by its labels.
 */

export const PREPARED_REPO = 'pgdock-prepared';
/** Bumped when what a prepared image holds changes: older ones are never used, and `prune` removes them. */
export const PREPARED_FORMAT = '1';
/** Where the cluster lives in a prepared image: outside the official images' VOLUME folders. */
export const CLUSTER_PATH = '/var/lib/pgdock-cluster';

export const PREPARED_LABELS = {
  format: 'pgdock.prepared',
  inputs: 'pgdock.prepared.inputs',
  base: 'pgdock.prepared.base',
  baseId: 'pgdock.prepared.base-id',
  password: 'pgdock.prepared.password',
  cluster: 'pgdock.prepared.cluster',
} as const;

/** The name of every container that builds a prepared image (a name, not a label: a commit hands labels on to the image and its servers). */
export const BUILD_NAME_PREFIX = 'pgdock-prepare-';

/** A prepared image fit for a base image and settings: where its cluster is and the superuser's build password. */
export interface PreparedImage extends ClusterSource {
  id: string;
  password: string;
}

interface InitSettings {
  user: string;
  database: string;
}

/** The hash of everything that shapes the cluster: format, base image name and id, superuser and database. */
export function preparedInputs(base: Pick<ImageFacts, 'ref' | 'id'>, settings: InitSettings): string {
  return shortHash(JSON.stringify([PREPARED_FORMAT, base.ref, base.id, settings.user, settings.database]));
}

function statusCode(err: unknown): number | undefined {
  return (err as { statusCode?: number } | null)?.statusCode;
}

/** The prepared image for `base` and `settings`, or undefined when there is none or the one tagged so is not fit (labels of other inputs, or none). */
export async function findPrepared(docker: DockerEngine, base: ImageFacts, settings: InitSettings): Promise<PreparedImage | undefined> {
  const inputs = preparedInputs(base, settings);
  let labels: Record<string, string>;
  let id: string;
  try {
    const image = await docker.client.getImage(`${PREPARED_REPO}:${inputs}`).inspect();
    labels = image.Config?.Labels ?? {};
    id = image.Id;
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw err;
  }
  const fit = labels[PREPARED_LABELS.format] === PREPARED_FORMAT && labels[PREPARED_LABELS.inputs] === inputs && labels[PREPARED_LABELS.baseId] === base.id;
  const password = labels[PREPARED_LABELS.password];
  const cluster = labels[PREPARED_LABELS.cluster];
  if (!fit || !password || !cluster?.startsWith('/')) {
    log('%s:%s is not a prepared image for %s; building one', PREPARED_REPO, inputs, base.ref);
    return undefined;
  }
  return { image: id, id, password, cluster };
}

/** Removes a prepared image by id or tag; one a container still uses is left (`false`). */
export async function removePreparedImage(docker: DockerEngine, ref: string): Promise<boolean> {
  try {
    await docker.client.getImage(ref).remove({ force: true });
    return true;
  } catch (err) {
    const code = statusCode(err);
    if (code === 404) return true;
    if (code === 409) return false;
    throw err;
  }
}

function buildFailed(base: string, detail: string): PgdockError {
  return new PgdockError(
    ErrorCodes.CONTAINER_FAILED,
    `Preparing a cluster from ${base} failed: ${detail}`,
    'Check PGDOCK_IMAGE (it must follow the official postgres image\'s entrypoint contract); run again with DEBUG=pgdock:* for more.',
    { image: base },
  );
}

/**
 * Builds the prepared image: a container of the base image initialises a cluster at
 * {@link CLUSTER_PATH} with a random build password, is stopped cleanly (a fast shutdown, exit 0),
 * and is committed under a tag of its own, then tagged `pgdock-prepared:<inputs>`: two builders at
 * once both succeed (the last tag wins; both images are whole). An interrupted build leaves no tag.
 */
export async function buildPrepared(docker: DockerEngine, base: ImageFacts, settings: InitSettings, deadline: number): Promise<PreparedImage> {
  const inputs = preparedInputs(base, settings);
  const password = randomBytes(18).toString('base64url');
  const started = Date.now();
  const container = await docker.client.createContainer({
    name: `${BUILD_NAME_PREFIX}${inputs}-${randomBytes(3).toString('hex')}`,
    Image: base.ref,
    Env: [`POSTGRES_USER=${settings.user}`, `POSTGRES_PASSWORD=${password}`, `POSTGRES_DB=${settings.database}`, `PGDATA=${CLUSTER_PATH}`],
    Cmd: ['postgres', ...SPEED_ARGS],
    ExposedPorts: { '5432/tcp': {} },
    HostConfig: {
      PortBindings: { '5432/tcp': [{ HostIp: publishedHost() !== '127.0.0.1' ? '0.0.0.0' : '127.0.0.1', HostPort: '' }] },
      // The cluster goes to the container's own layer (what a commit keeps); the volumes to tmpfs, not anonymous volumes.
      Tmpfs: Object.fromEntries(base.volumes.map((v) => [v, 'rw'])),
    },
  });
  try {
    await container.start();
    const described = await docker.describe(container.id, base.ref);
    const info: ServerInfo = { ...described.info, password };
    const ready = await waitForSql(info, deadline, () => docker.isRunning(container.id));
    if (ready !== true) throw buildFailed(base.ref, `${ready === 'died' ? 'its container exited' : 'it did not answer SQL in time'}. Its last log lines:\n${await docker.logTail(container.id)}`);
    await container.kill({ signal: 'SIGINT' });
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    if (StatusCode !== 0) throw buildFailed(base.ref, `Postgres did not shut down cleanly (exit ${StatusCode}). Its last log lines:\n${await docker.logTail(container.id)}`);
    const own = `${inputs}-${randomBytes(4).toString('hex')}`;
    const labels: Record<string, string> = {
      [PREPARED_LABELS.format]: PREPARED_FORMAT,
      [PREPARED_LABELS.inputs]: inputs,
      [PREPARED_LABELS.base]: base.ref,
      [PREPARED_LABELS.baseId]: base.id,
      [PREPARED_LABELS.password]: password,
      [PREPARED_LABELS.cluster]: CLUSTER_PATH,
    };
    await container.commit({ repo: PREPARED_REPO, tag: own, pause: false, changes: Object.entries(labels).map(([k, v]) => `LABEL ${k}=${JSON.stringify(v)}`) });
    const image = docker.client.getImage(`${PREPARED_REPO}:${own}`);
    await image.tag({ repo: PREPARED_REPO, tag: inputs });
    const { Id } = await image.inspect();
    await docker.client.getImage(`${PREPARED_REPO}:${own}`).remove().catch(() => {}); // only the tag: the image keeps `inputs`
    log('prepared %s:%s from %s in %d ms', PREPARED_REPO, inputs, base.ref, Date.now() - started);
    return { image: Id, id: Id, password, cluster: CLUSTER_PATH };
  } finally {
    await docker.remove(container.id);
  }
}

/** A build container is left to its builder this long: `prune` with a short start-up window must not pull one from under it. */
export const BUILD_GRACE_SECONDS = 600;

/** Build containers whose builder is gone (killed mid-build): no tag was made from them. */
export async function sweepBuildContainers(docker: DockerEngine, olderThanSeconds = BUILD_GRACE_SECONDS): Promise<string[]> {
  const list = await docker.client.listContainers({ all: true, filters: { name: [`^/${BUILD_NAME_PREFIX}`] } });
  const gone: string[] = [];
  for (const c of list) {
    if (Date.now() / 1000 - c.Created < olderThanSeconds) continue;
    await docker.remove(c.Id);
    gone.push(c.Id.slice(0, 12));
  }
  return gone;
}

/** Why a prepared image is no longer used, or undefined while it is current. */
async function staleReason(docker: DockerEngine, image: { RepoTags?: string[]; Labels?: Record<string, string> | null }): Promise<string | undefined> {
  const labels = image.Labels ?? {};
  if (labels[PREPARED_LABELS.format] !== PREPARED_FORMAT) return 'an older format';
  if (!(image.RepoTags ?? []).some((t) => t.startsWith(`${PREPARED_REPO}:`))) return 'superseded by a newer build';
  const base = labels[PREPARED_LABELS.base] ?? '';
  try {
    const now = await docker.client.getImage(base).inspect();
    return now.Id === labels[PREPARED_LABELS.baseId] ? undefined : `its base image ${base} now is another image`;
  } catch (err) {
    if (statusCode(err) === 404) return `its base image ${base} is gone`;
    throw err;
  }
}

/** `pgdock prune` for Docker: stale prepared images (every one with `all`) and build containers whose builder is gone. */
export async function prunePreparedImages(docker: DockerEngine, all: boolean, graceSeconds: number): Promise<{ removed: string[]; kept: string[] }> {
  const removed = (await sweepBuildContainers(docker, Math.max(graceSeconds, BUILD_GRACE_SECONDS))).map((id) => `build container ${id}`);
  const kept: string[] = [];
  const images = await docker.client.listImages({ filters: labelFilter({ [PREPARED_LABELS.format]: '' }) });
  for (const image of images) {
    const name = `prepared image ${(image.RepoTags ?? []).find((t) => t.startsWith(`${PREPARED_REPO}:`)) ?? image.Id.slice(7, 19)} (from ${image.Labels?.[PREPARED_LABELS.base] ?? 'unknown'})`;
    const reason = await staleReason(docker, image);
    if (!reason && (!all || Date.now() / 1000 - image.Created < graceSeconds)) continue; // a fresh one: a start may be about to use it
    if (await removePreparedImage(docker, image.Id)) removed.push(`${name}${reason ? `: ${reason}` : ''}`);
    else kept.push(`${name}: a container still uses it`);
  }
  return { removed, kept };
}
