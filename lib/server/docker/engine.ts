// Covered by spec/integration/server/docker/engine.spec.ts.
import { randomBytes } from 'node:crypto';
import { PassThrough, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type Docker from 'dockerode';
import { createDebug } from '../../debug.js';
import { ErrorCodes, PgdockError, redactSecrets } from '../../errors.js';
import { DEFAULT_IMAGE, type ResolvedOptions } from '../../config/options.js';
import { serverArgs, userArgsOf } from '../postgres-args.js';
import type { ServerInfo } from '../server-info.js';
import { LABELS, labelFilter } from './labels.js';
import { askEngine, dockerUnavailable } from './ping.js';

const log = createDebug('docker');

const FALLBACK_PGDATA = '/var/lib/postgresql/data';

/** A container found by labels. */
export interface FoundContainer {
  id: string;
  image: string;
  state: string;
  labels: Record<string, string>;
  created: number;
}

function statusCode(err: unknown): number | undefined {
  return (err as { statusCode?: number } | null)?.statusCode;
}

/** The host to reach published ports on: the DOCKER_HOST machine, else loopback. */
export function publishedHost(env: Record<string, string | undefined> = process.env): string {
  const dockerHost = env.DOCKER_HOST;
  if (!dockerHost || dockerHost.startsWith('unix://') || dockerHost.startsWith('npipe://')) return '127.0.0.1';
  try {
    const host = new URL(dockerHost.includes('//') ? dockerHost : `tcp://${dockerHost}`).hostname;
    return host.replace(/^\[|\]$/g, '') || '127.0.0.1';
  } catch {
    return '127.0.0.1';
  }
}

/** What to do when an image cannot be pulled: fix the image, or use a server that needs none. */
export function imageHint(image: string): string {
  const alternatives = 'PGDOCK_PROVIDER=embedded (Postgres from npm packages, no Docker image), PGDOCK_IMAGE=<an image on this machine> (`docker images` lists them), or PGDOCK_URL=postgres://user:password@host:5432/db (a server you run)';
  return image === DEFAULT_IMAGE
    ? `The default image could not be pulled (no registry access?). Use ${alternatives}.`
    : `Check the name in PGDOCK_IMAGE and log in to its registry, or use ${alternatives}.`;
}

/** What the engine says of a container right now. */
export interface ContainerStatus {
  state: 'running' | 'exited' | 'removed';
  exitCode?: number;
  /** When it stopped (ISO), for an exited container. */
  finishedAt?: string;
  oomKilled?: boolean;
}

/**
 * One inspect of a container, with no ping first: the cheap check of a server that stopped
 * answering. Throws `ERR_PGDOCK_DOCKER_UNAVAILABLE` when the engine does not answer either.
 */
export async function containerStatus(id: string, timeoutMs = 3_000): Promise<ContainerStatus> {
  const { default: DockerClient } = await import('dockerode');
  try {
    const data = await askEngine(() => new DockerClient().getContainer(id).inspect(), timeoutMs, (err) => statusCode(err) === 404);
    if (!data.State.Running) {
      return { state: 'exited', exitCode: data.State.ExitCode, finishedAt: data.State.FinishedAt, oomKilled: data.State.OOMKilled };
    }
    return { state: 'running' };
  } catch (err) {
    if (statusCode(err) === 404) return { state: 'removed' };
    throw err;
  }
}

/** What a server container needs to know of its image: where data lives, what it mounts, how it starts. */
export interface ImageFacts {
  /** The image as the user named it. */
  ref: string;
  /** The engine's id (`sha256:…`): a retagged or rebuilt image has another. */
  id: string;
  pgdata: string;
  /** The folders the image declares as volumes: a tmpfs there saves the engine making an anonymous volume. */
  volumes: string[];
  entrypoint: string[];
}

/** A prepared cluster in an image (lib/server/docker/prepared-image.ts): copied into the tmpfs PGDATA before the entrypoint runs. */
export interface ClusterSource {
  image: string;
  cluster: string;
}

/** Talks to the Docker engine for pgdock: finds, creates, waits for and removes labelled containers. */
export class DockerEngine {
  private constructor(private readonly docker: Docker) {}

  /** The dockerode client, for the image work of prepared-image.ts. */
  get client(): Docker {
    return this.docker;
  }

  /** Connects and pings; throws `ERR_PGDOCK_DOCKER_UNAVAILABLE` naming the socket or host tried. */
  static async connect(timeoutMs = 3_000): Promise<DockerEngine> {
    const { default: DockerClient } = await import('dockerode');
    let docker: Docker;
    try {
      docker = new DockerClient();
    } catch (err) {
      throw dockerUnavailable((err as Error).message);
    }
    await askEngine(() => docker.ping(), timeoutMs);
    return new DockerEngine(docker);
  }

  async findContainers(labels: Record<string, string>): Promise<FoundContainer[]> {
    const list = await this.docker.listContainers({ all: true, filters: labelFilter(labels) });
    return list.map((c) => ({ id: c.Id, image: c.Labels[LABELS.image] ?? c.Image, state: c.State, labels: c.Labels, created: c.Created }));
  }

  /** Makes sure the image is there, pulling it with progress on stderr; returns what a server of it needs. */
  async ensureImage(image: string): Promise<ImageFacts> {
    try {
      return factsOf(image, await this.docker.getImage(image).inspect());
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
    await this.pull(image);
    return factsOf(image, await this.docker.getImage(image).inspect());
  }

  private async pull(image: string): Promise<void> {
    process.stderr.write(`pgdock: pulling ${image} ...\n`);
    const fail = (detail: string): PgdockError =>
      new PgdockError(
        ErrorCodes.IMAGE_MISSING,
        `The image ${image} is not on this machine and pulling it failed: ${detail.trim()}.`,
        imageHint(image),
        { image },
      );
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.pull(image);
    } catch (err) {
      throw fail((err as { json?: { message?: string } }).json?.message ?? (err as Error).message);
    }
    const shown = new Map<string, string>();
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(
        stream,
        (err: Error | null) => (err ? reject(fail(err.message)) : resolve()),
        (event: { id?: string; status?: string; error?: string }) => {
          if (event.error) return;
          const line = `${event.id ? `${event.id}: ` : ''}${event.status ?? ''}`;
          if (event.status && shown.get(event.id ?? '') !== event.status) {
            shown.set(event.id ?? '', event.status);
            process.stderr.write(`pgdock: ${line}\n`);
          }
        },
      );
    });
  }

  /**
   * Creates and starts the server container; the deterministic name makes a second create fail
   * loudly. From a prepared cluster, a shell copies it into the tmpfs PGDATA and then runs the
   * image's own entrypoint, which finds a cluster and skips initdb; `POSTGRES_PASSWORD` is then the
   * password the caller sets (readiness.ts), not yet the cluster's.
   */
  async createServer(options: ResolvedOptions, name: string, labels: Record<string, string>, image: ImageFacts, from?: ClusterSource): Promise<string> {
    const password = randomBytes(18).toString('base64url');
    const remote = publishedHost() !== '127.0.0.1';
    const container = await this.docker.createContainer({
      name,
      Image: from?.image ?? image.ref,
      Env: [`POSTGRES_USER=${options.user}`, `POSTGRES_PASSWORD=${password}`, `POSTGRES_DB=${options.database}`, `PGDATA=${image.pgdata}`],
      ...(from ? { Entrypoint: ['sh', '-c', 'cp -a "$0"/. "$PGDATA"/ && exec "$@"', from.cluster, ...image.entrypoint] } : {}),
      Cmd: ['postgres', ...serverArgs(options.postgresArgs)],
      Labels: labels,
      ExposedPorts: { '5432/tcp': {} },
      HostConfig: {
        PortBindings: { '5432/tcp': [{ HostIp: remote ? '0.0.0.0' : '127.0.0.1', HostPort: '' }] },
        Tmpfs: tmpfsFor(image),
      },
    });
    log('created %s (%s)', container.id.slice(0, 12), name);
    await container.start();
    return container.id;
  }

  /**
   * Reads host port and credentials back from a container: how a lost state file is rebuilt. `args`
   * are the `postgres` arguments it runs with beyond pgdock's speed settings (its `postgresArgs`).
   */
  async describe(id: string, image: string): Promise<{ info: ServerInfo; running: boolean; args: string[] }> {
    const data = await this.docker.getContainer(id).inspect();
    const args = userArgsOf(data.Config.Cmd ?? []);
    const env = new Map((data.Config.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
    const binding = data.NetworkSettings.Ports?.['5432/tcp']?.[0];
    const info: ServerInfo = {
      provider: 'docker',
      host: publishedHost(),
      port: Number(binding?.HostPort ?? 0),
      user: env.get('POSTGRES_USER') ?? 'postgres',
      password: env.get('POSTGRES_PASSWORD') ?? '',
      database: env.get('POSTGRES_DB') ?? env.get('POSTGRES_USER') ?? 'postgres',
      containerId: data.Id,
      image,
    };
    return { info, running: data.State.Running && info.port > 0, args };
  }

  async isRunning(id: string): Promise<boolean> {
    try {
      return (await this.docker.getContainer(id).inspect()).State.Running;
    } catch (err) {
      if (statusCode(err) === 404) return false;
      throw err;
    }
  }

  /** The last lines the container printed, secrets removed: for startup errors. */
  async logTail(id: string, lines = 20): Promise<string> {
    try {
      const buffer = (await this.docker.getContainer(id).logs({ stdout: true, stderr: true, tail: lines, follow: false })) as Buffer;
      return redactSecrets(await this.demux(buffer)).trimEnd();
    } catch (err) {
      return `(logs unavailable: ${(err as Error).message})`;
    }
  }

  /**
   * Without a TTY the engine sends stdout and stderr as one stream of framed chunks; the modem's
   * demultiplexer writes each chunk's text, in order, to one collector (a stream that is not framed
   * passes through whole).
   */
  private async demux(buffer: Buffer): Promise<string> {
    const chunks: Buffer[] = [];
    const collector = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done();
      },
    });
    const source = new PassThrough();
    this.docker.modem.demuxStream(source, collector, collector);
    source.end(buffer);
    await finished(source);
    return Buffer.concat(chunks).toString('utf8');
  }

  /** Removes a container and its anonymous volumes; a missing one is not an error. */
  async remove(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
      log('removed %s', id.slice(0, 12));
    } catch (err) {
      const code = statusCode(err);
      if (code !== 404 && code !== 409) throw err; // 409: removal already in progress
    }
  }
}

/** The data folder and the image's other volumes on tmpfs: nothing is written to disk, no anonymous volume made. */
export function tmpfsFor(image: Pick<ImageFacts, 'pgdata' | 'volumes'>): Record<string, string> {
  const mounts: Record<string, string> = { [image.pgdata]: 'rw' };
  for (const volume of image.volumes) if (!image.pgdata.startsWith(`${volume}/`)) mounts[volume] = 'rw';
  return mounts;
}

function factsOf(ref: string, image: { Id: string; Config?: { Env?: string[]; Volumes?: Record<string, unknown> | null; Entrypoint?: string[] | string | null } }): ImageFacts {
  const entry = (image.Config?.Env ?? []).find((e) => e.startsWith('PGDATA='));
  const entrypoint = image.Config?.Entrypoint;
  return {
    ref,
    id: image.Id,
    pgdata: entry ? entry.slice('PGDATA='.length) : FALLBACK_PGDATA,
    volumes: Object.keys(image.Config?.Volumes ?? {}),
    entrypoint: Array.isArray(entrypoint) ? entrypoint : entrypoint ? ['sh', '-c', entrypoint] : [],
  };
}
