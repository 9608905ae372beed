import { join } from 'node:path';
import { ErrorCodes, PgdockError } from '../errors.js';
import { sweepLeases, type Lease } from '../leases.js';
import type { ResolvedOptions } from '../options.js';
import { DockerProvider, LABELS, type FoundContainer } from '../providers/docker.js';
import { connectionUrl, redactedUrl } from '../server-info.js';
import { projectKey, serverKey } from '../server-key.js';
import { removeEmptyStateFolders } from '../release-server.js';
import { clearState } from '../state-file.js';

/** One container as `pgdock status` reports it. */
export interface ContainerStatus {
  id: string;
  image: string;
  state: string;
  current: boolean;
  host: string;
  port: number;
  url: string;
  ageSeconds: number;
  leases: Array<Pick<Lease, 'runId' | 'pid' | 'createdAt'>>;
}

export interface StatusReport {
  provider: 'docker';
  projectRoot: string;
  reuse: boolean;
  containers: ContainerStatus[];
}

function liveLeases(c: FoundContainer): Lease[] {
  const dir = c.labels[LABELS.stateDir];
  return dir ? sweepLeases(join(dir, 'leases')) : [];
}

export async function statusReport(options: ResolvedOptions): Promise<StatusReport> {
  const docker = await DockerProvider.connect();
  const found = await docker.findContainers({ [LABELS.project]: projectKey(options) });
  const containers: ContainerStatus[] = [];
  for (const c of found) {
    const { info } = await docker.describe(c.id, c.image);
    containers.push({
      id: c.id.slice(0, 12),
      image: c.image,
      state: c.state,
      current: c.labels[LABELS.key] === serverKey(options),
      host: info.host,
      port: info.port,
      url: redactedUrl(info),
      ageSeconds: Math.max(0, Math.round(Date.now() / 1000 - c.created)),
      leases: liveLeases(c).map(({ runId, pid, createdAt }) => ({ runId, pid, createdAt })),
    });
  }
  return { provider: 'docker', projectRoot: options.projectRoot, reuse: options.reuse, containers };
}

function formatAge(seconds: number): string {
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  return `${Math.round(seconds / 3600)}h`;
}

export function formatStatus(report: StatusReport): string {
  const lines = [`project  ${report.projectRoot}`, `provider ${report.provider}   reuse ${report.reuse ? 'on' : 'off'}`];
  if (report.containers.length === 0) return [...lines, 'no pgdock container for this project'].join('\n');
  lines.push('');
  for (const c of report.containers) {
    lines.push(
      `${c.id}  ${c.state.padEnd(8)} ${`${c.host}:${c.port}`.padEnd(22)} age ${formatAge(c.ageSeconds).padEnd(5)} leases ${c.leases.length}  ${c.image}${c.current ? '' : '  (other config)'}`,
    );
  }
  return lines.join('\n');
}

async function removeContainers(docker: DockerProvider, containers: FoundContainer[]): Promise<string[]> {
  const removed: string[] = [];
  for (const c of containers) {
    await docker.remove(c.id);
    const dir = c.labels[LABELS.stateDir];
    if (dir) {
      clearState(join(dir, 'server.json'));
      sweepLeases(join(dir, 'leases'));
      removeEmptyStateFolders(dir);
    }
    removed.push(`${c.id.slice(0, 12)} (${c.image})`);
  }
  return removed;
}

/** `pgdock down`: removes this project's containers, whoever uses them. */
export async function downProject(options: ResolvedOptions): Promise<string[]> {
  const docker = await DockerProvider.connect();
  return removeContainers(docker, await docker.findContainers({ [LABELS.project]: projectKey(options) }));
}

/** `pgdock prune`: removes every pgdock container (any project) that no live run holds a lease on. */
export async function pruneContainers(): Promise<string[]> {
  const docker = await DockerProvider.connect();
  const idle = (await docker.findContainers({ [LABELS.marker]: '1' })).filter((c) => liveLeases(c).length === 0);
  return removeContainers(docker, idle);
}

/** `pgdock url`: the connection URL of this project's running server (it starts nothing). */
export async function serverUrl(options: ResolvedOptions): Promise<string> {
  const docker = await DockerProvider.connect();
  const found = await docker.findContainers({ [LABELS.project]: projectKey(options), [LABELS.key]: serverKey(options) });
  const running = found.find((c) => c.state === 'running');
  if (!running) {
    throw new PgdockError(
      ErrorCodes.CLI_USAGE,
      'No pgdock server is running for this project and configuration.',
      'Run your tests with PGDOCK_REUSE=true (the default outside CI) to keep one, then ask again.',
    );
  }
  return connectionUrl((await docker.describe(running.id, running.image)).info);
}
