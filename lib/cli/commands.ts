import { readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCodes, PgdockError } from '../errors.js';
import { sweepLeases, type Lease } from '../leases.js';
import type { ProviderName, ResolvedOptions } from '../options.js';
import { decideProvider, dockerEngineProblem, sweepDeadChoices } from '../providers/choose-provider.js';
import { DockerProvider, LABELS, type FoundContainer } from '../providers/docker.js';
import { embeddedServer, postmasterAlive, readRecord } from '../providers/embedded-server.js';
import { connectionUrl, redactedUrl, type ServerInfo } from '../server-info.js';
import { projectKey, serverKey, type ServerOptions } from '../server-key.js';
import { removeEmptyStateFolders } from '../release-server.js';
import { clearState } from '../state-file.js';
import { otherLiveServerLeases } from '../server-leases.js';

/** One server as `pgdock status` reports it. */
export interface ServerStatus {
  provider: 'docker' | 'embedded';
  /** Container id (12 characters) or postmaster pid. */
  id: string;
  image: string;
  state: string;
  /** Serves the configuration the current options describe. */
  current: boolean;
  host: string;
  port: number;
  url: string;
  ageSeconds: number;
  leases: Array<Pick<Lease, 'runId' | 'pid' | 'createdAt'>>;
}

export interface StatusReport {
  /** The configured provider (`auto` until a run decides). */
  provider: ProviderName;
  projectRoot: string;
  reuse: boolean;
  /** Why Docker containers are missing from the list, when no engine answered. */
  docker?: string;
  servers: ServerStatus[];
}

function leasesIn(dir: string | undefined): Lease[] {
  return dir ? sweepLeases(join(dir, 'leases')) : [];
}

/**
 * The live runs holding a server: leases in its state folder, and those recorded on the server
 * itself (runs with other state folders). A server that does not answer has only the former.
 */
async function liveLeases(dir: string | undefined, info: ServerInfo | undefined, running: boolean): Promise<Lease[]> {
  const local = leasesIn(dir);
  const remote = info && running ? ((await otherLiveServerLeases(info, undefined, 1_000)) ?? []) : [];
  const seen = new Set(local.map((l) => l.runId));
  return [...local, ...remote.filter((l) => !seen.has(l.runId))];
}

function publicLeases(leases: Lease[]): ServerStatus['leases'] {
  return leases.map(({ runId, pid, createdAt }) => ({ runId, pid, createdAt }));
}

/** Docker only when an engine answers; with no engine, the other providers still report. */
async function maybeDocker(options: ResolvedOptions): Promise<{ docker?: DockerProvider; problem?: string }> {
  const problem = await dockerEngineProblem();
  if (problem && options.provider === 'docker') await DockerProvider.connect(); // throws the full error
  if (problem) return { problem: `no Docker engine answered (${problem})` };
  return { docker: await DockerProvider.connect() };
}

/** This project's state folders holding an embedded server's record, or all of them (`project` undefined). */
function embeddedDirs(stateDir: string, project: string | undefined): string[] {
  let names: string[] = [];
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

export async function statusReport(options: ResolvedOptions): Promise<StatusReport> {
  const servers: ServerStatus[] = [];
  const { docker, problem } = await maybeDocker(options);
  if (docker) {
    for (const c of await docker.findContainers({ [LABELS.project]: projectKey(options) })) {
      const { info } = await docker.describe(c.id, c.image);
      servers.push({
        provider: 'docker',
        id: c.id.slice(0, 12),
        image: c.image,
        state: c.state,
        current: c.labels[LABELS.key] === currentKey(options, 'docker'),
        host: info.host,
        port: info.port,
        url: redactedUrl(info),
        ageSeconds: Math.max(0, Math.round(Date.now() / 1000 - c.created)),
        leases: publicLeases(await liveLeases(c.labels[LABELS.stateDir], info, c.state === 'running')),
      });
    }
  }
  for (const dir of embeddedDirs(options.stateDir, projectKey(options))) {
    const record = readRecord(dir);
    if (!record) continue;
    const alive = postmasterAlive(record.pid, join(record.runtimeDir, 'data'));
    servers.push({
      provider: 'embedded',
      id: String(record.pid),
      image: record.info.image,
      state: alive ? 'running' : 'exited',
      current: record.key === currentKey(options, 'embedded'),
      host: record.info.host,
      port: record.info.port,
      url: redactedUrl(record.info),
      ageSeconds: Math.max(0, Math.round((Date.now() - Date.parse(record.startedAt)) / 1000)),
      leases: publicLeases(await liveLeases(dir, record.info, alive)),
    });
  }
  const report: StatusReport = { provider: options.provider, projectRoot: options.projectRoot, reuse: options.reuse, servers };
  if (problem) report.docker = problem;
  return report;
}

function formatAge(seconds: number): string {
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  return `${Math.round(seconds / 3600)}h`;
}

export function formatStatus(report: StatusReport): string {
  const lines = [`project  ${report.projectRoot}`, `provider ${report.provider}   reuse ${report.reuse ? 'on' : 'off'}`];
  if (report.docker) lines.push(`docker   ${report.docker}`);
  if (report.servers.length === 0) return [...lines, 'no pgdock server for this project'].join('\n');
  lines.push('');
  for (const s of report.servers) {
    lines.push(
      `${s.provider.padEnd(9)}${s.id.padEnd(13)} ${s.state.padEnd(8)} ${`${s.host}:${s.port}`.padEnd(22)} age ${formatAge(s.ageSeconds).padEnd(5)} leases ${s.leases.length}  ${s.image}${s.current ? '' : '  (other config)'}`,
    );
  }
  return lines.join('\n');
}

function forgetStateFolder(dir: string): void {
  clearState(join(dir, 'server.json'));
  sweepLeases(join(dir, 'leases'));
  removeEmptyStateFolders(dir);
}

/** What `down` and `prune` did: servers removed, and servers left because live runs hold them. */
export interface RemovalReport {
  removed: string[];
  kept: string[];
}

/** One server `down` or `prune` may remove. */
interface Candidate {
  label: string;
  ageSeconds: number;
  leases: Lease[];
  remove(): Promise<string[]>;
}

async function dockerCandidates(docker: DockerProvider, containers: FoundContainer[]): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for (const c of containers) {
    const dir = c.labels[LABELS.stateDir];
    const { info } = await docker.describe(c.id, c.image).catch(() => ({ info: undefined }));
    out.push({
      label: `container ${c.id.slice(0, 12)} (${c.image})`,
      ageSeconds: Math.max(0, Math.round(Date.now() / 1000 - c.created)),
      leases: await liveLeases(dir, info, c.state === 'running'),
      remove: async () => {
        await docker.remove(c.id);
        if (dir) forgetStateFolder(dir);
        return [`container ${c.id.slice(0, 12)} (${c.image})`];
      },
    });
  }
  return out;
}

async function embeddedCandidates(dirs: string[]): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for (const dir of dirs) {
    const record = readRecord(dir);
    if (!record) continue;
    const image = record.info.image;
    out.push({
      label: `postmaster ${record.pid} (${image})`,
      ageSeconds: Math.max(0, Math.round((Date.now() - Date.parse(record.startedAt)) / 1000)),
      leases: await liveLeases(dir, record.info, postmasterAlive(record.pid, join(record.runtimeDir, 'data'))),
      remove: async () => {
        const removed = (await embeddedServer.removeServer(dir, undefined)).map((what) => `${what} (${image})`);
        forgetStateFolder(dir);
        return removed;
      },
    });
  }
  return out;
}

function heldBy(leases: Lease[]): string {
  return `held by ${leases.length} live run(s) (pid ${leases.map((l) => l.pid).join(', ')})`;
}

/**
 * `pgdock down`: removes this project's servers (containers and embedded). One that a live run
 * holds is listed and left, unless `force`.
 */
export async function downProject(options: ResolvedOptions, force = false): Promise<RemovalReport> {
  const { docker } = await maybeDocker(options);
  const candidates = [
    ...(docker ? await dockerCandidates(docker, await docker.findContainers({ [LABELS.project]: projectKey(options) })) : []),
    ...(await embeddedCandidates(embeddedDirs(options.stateDir, projectKey(options)))),
  ];
  const report: RemovalReport = { removed: [], kept: [] };
  for (const c of candidates) {
    if (c.leases.length > 0 && !force) report.kept.push(`${c.label}: ${heldBy(c.leases)}; \`pgdock down --force\` removes it anyway`);
    else report.removed.push(...(await c.remove()));
  }
  sweepDeadChoices(options);
  try {
    rmdirSync(options.stateDir);
  } catch {
    // other projects' files remain
  }
  return report;
}

/**
 * `pgdock prune`: removes every pgdock server (any project) that no live run holds, and that is
 * older than its start-up window (a leader may not have written its lease yet).
 */
export async function pruneContainers(options: ResolvedOptions): Promise<RemovalReport> {
  const { docker } = await maybeDocker(options);
  const candidates = [
    ...(docker ? await dockerCandidates(docker, await docker.findContainers({ [LABELS.marker]: '1' })) : []),
    ...(await embeddedCandidates(embeddedDirs(options.stateDir, undefined))),
  ];
  const window = Math.ceil(options.startupTimeout / 1000);
  const report: RemovalReport = { removed: [], kept: [] };
  for (const c of candidates) {
    if (c.leases.length > 0) report.kept.push(`${c.label}: ${heldBy(c.leases)}`);
    else if (c.ageSeconds < window) report.kept.push(`${c.label}: started ${c.ageSeconds}s ago, within its ${window}s start-up window`);
    else report.removed.push(...(await c.remove()));
  }
  return report;
}

function notRunning(provider: string, reason: string): PgdockError {
  return new PgdockError(
    ErrorCodes.CLI_USAGE,
    `No pgdock server of the ${provider} provider is running for this project and configuration (a run would use ${provider}: ${reason}).`,
    'Run your tests with PGDOCK_REUSE=true (the default outside CI) to keep one, then ask again; set PGDOCK_PROVIDER to ask for another provider\'s server.',
    { provider },
  );
}

/** `pgdock url`: the connection URL of the server a run would use now, if it is running (it starts nothing). */
export async function serverUrl(options: ResolvedOptions): Promise<string> {
  // As a run decides: another provider's server may be running, but a run would not use it.
  const { provider, reason } = await decideProvider(options);
  if (provider === 'external') return options.url ?? '';
  let state: ServerInfo | undefined;
  if (provider === 'docker') {
    const { docker } = await maybeDocker({ ...options, provider });
    const found = docker ? await docker.findContainers({ [LABELS.project]: projectKey(options), [LABELS.key]: currentKey(options, 'docker') }) : [];
    const running = found.find((c) => c.state === 'running');
    if (docker && running) state = (await docker.describe(running.id, running.image)).info;
  } else {
    for (const dir of embeddedDirs(options.stateDir, projectKey(options))) {
      const record = readRecord(dir);
      if (record?.key === currentKey(options, 'embedded') && postmasterAlive(record.pid, join(record.runtimeDir, 'data'))) state ??= record.info;
    }
  }
  if (!state) throw notRunning(provider, reason);
  return connectionUrl(state);
}
