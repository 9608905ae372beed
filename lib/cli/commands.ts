// Covered by spec/unit/cli/commands.spec.ts, spec/e2e/cli-servers.spec.ts and spec/faults/cli-safety.spec.ts.
import { rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { liveLeasesOf, type Lease } from '../coordination/leases.js';
import type { ProviderName, ResolvedOptions } from '../config/options.js';
import { sweepDeadChoices } from '../server/choose-provider.js';
import { loadProvider } from '../server/providers/load-provider.js';
import { redactedUrl, type ServerInfo } from '../server/server-info.js';
import { removeEmptyStateFolders } from '../server/release-server.js';
import { clearState } from '../coordination/state-file.js';
import { otherLiveServerLeases } from '../server/server-leases.js';
import { describeConfig, findAllServers, findProjectServers, settingsOf, type FoundServer } from './project-servers.js';

/** One server as `pgdock status` reports it. */
export interface ServerStatus {
  provider: 'docker' | 'embedded';
  /** Container id (12 characters) or postmaster pid: what `pgdock url --server` takes. */
  id: string;
  image: string;
  /** Hash of its config (the `pgdock.key` label). */
  key: string;
  /** The settings it was started with beyond pgdock's own (`postgresArgs`, `max_connections` pgdock sized); null when not recorded. */
  settings: string[] | null;
  /** One line: image and settings. */
  config: string;
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
  return dir ? liveLeasesOf(dir) : [];
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

/** `pgdock status`: every server of this project, of every config, each with what its config is. */
export async function statusReport(options: ResolvedOptions): Promise<StatusReport> {
  const { servers: found, dockerProblem } = await findProjectServers(options);
  const servers: ServerStatus[] = [];
  for (const s of found) {
    servers.push({
      provider: s.provider,
      id: s.id,
      image: s.image,
      key: s.key,
      settings: s.args ? settingsOf(s.args) : null,
      config: describeConfig(s),
      state: s.state,
      current: s.current,
      host: s.info?.host ?? '',
      port: s.info?.port ?? 0,
      url: s.info ? redactedUrl(s.info) : '',
      ageSeconds: s.ageSeconds,
      leases: publicLeases(await liveLeases(s.dir, s.info, s.running)),
    });
  }
  const report: StatusReport = { provider: options.provider, projectRoot: options.projectRoot, reuse: options.reuse, servers };
  if (dockerProblem) report.docker = dockerProblem;
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
      `${s.current ? '*' : ' '} ${s.provider.padEnd(9)}${s.id.padEnd(13)} ${s.state.padEnd(8)} ${`${s.host}:${s.port}`.padEnd(22)} age ${formatAge(s.ageSeconds).padEnd(5)} leases ${s.leases.length}  ${s.config}`,
    );
  }
  if (report.servers.some((s) => s.current)) lines.push('', '* the config a run with this environment uses');
  return lines.join('\n');
}

function forgetStateFolder(dir: string): void {
  clearState(join(dir, 'server.json'));
  liveLeasesOf(dir);
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

async function removeFound(server: FoundServer): Promise<string[]> {
  const removed = await (await loadProvider(server.provider)).remove(server);
  if (server.dir) forgetStateFolder(server.dir);
  return removed.map((what) => `${what} (${server.image})`);
}

async function candidates(servers: FoundServer[]): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for (const server of servers) {
    const label = `${server.provider === 'docker' ? 'container' : 'postmaster'} ${server.id} (${server.image})`;
    out.push({ label, ageSeconds: server.ageSeconds, leases: await liveLeases(server.dir, server.info, server.running), remove: () => removeFound(server) });
  }
  return out;
}

function heldBy(leases: Lease[]): string {
  return `held by ${leases.length} live run(s) (pid ${leases.map((l) => l.pid).join(', ')})`;
}

/**
 * `pgdock down`: removes this project's servers, of every config (containers and embedded, found
 * as `status` finds them). One that a live run holds is listed and left, unless `force`.
 */
export async function downProject(options: ResolvedOptions, force = false): Promise<RemovalReport> {
  const all = await candidates((await findProjectServers(options)).servers);
  const report: RemovalReport = { removed: [], kept: [] };
  for (const c of all) {
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
 * older than its start-up window (a leader may not have written its lease yet); then the prepared
 * clusters kept for cold starts that are stale, or every one not in use with `prepared`.
 */
export async function pruneContainers(options: ResolvedOptions, prepared = false): Promise<RemovalReport> {
  const { servers, dockerProblem } = await findAllServers(options);
  const all = await candidates(servers);
  const window = Math.ceil(options.startupTimeout / 1000);
  const report: RemovalReport = { removed: [], kept: [] };
  for (const c of all) {
    if (c.leases.length > 0) report.kept.push(`${c.label}: ${heldBy(c.leases)}`);
    else if (c.ageSeconds < window) report.kept.push(`${c.label}: started ${c.ageSeconds}s ago, within its ${window}s start-up window`);
    else report.removed.push(...(await c.remove()));
  }
  for (const name of dockerProblem ? (['embedded'] as const) : (['docker', 'embedded'] as const)) {
    const pruned = await (await loadProvider(name)).prunePrepared?.(prepared, window);
    report.removed.push(...(pruned?.removed ?? []));
    report.kept.push(...(pruned?.kept ?? []));
  }
  return report;
}
