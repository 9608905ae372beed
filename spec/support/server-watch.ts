import Docker from 'dockerode';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { embeddedRoot } from '../../lib/server/providers/embedded-binaries.js';
import { specProvider } from './spec-provider.js';

const docker = new Docker();

/** A server pgdock started for a project: a container, or an embedded postmaster. */
export interface SeenServerProcess {
  /** Container id, or the postmaster's pid as a string. */
  id: string;
  state: string;
}

function cmdline(pid: string): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

/** A backend forked a moment ago still shows its postmaster's command line: it is not a second server. */
function forkedFromSame(pid: string, args: string[]): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? '';
    return cmdline(ppid).join('\0') === args.join('\0');
  } catch {
    return false;
  }
}

/** Embedded postmasters whose data folder belongs to `projectKey`, found in /proc. */
function projectPostmasters(projectKey: string): Array<SeenServerProcess & { runtimeDir: string }> {
  const found: Array<SeenServerProcess & { runtimeDir: string }> = [];
  const root = embeddedRoot();
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    const args = cmdline(pid);
    const dataDir = args[args.indexOf('-D') + 1];
    if (!args[0]?.endsWith('/postgres') || !dataDir?.startsWith(`${root}/`) || forkedFromSame(pid, args)) continue;
    const runtimeDir = join(dataDir, '..');
    let owner = '';
    try {
      owner = readFileSync(join(runtimeDir, 'owner'), 'utf8');
    } catch {
      // a folder being set up or torn down; its postmaster still counts
    }
    if (owner.includes(`/${projectKey}-`)) found.push({ id: pid, state: 'running', runtimeDir });
  }
  return found;
}

/** The servers of one project right now (its pgdock containers, running or not; or its postmasters). */
export async function projectServers(projectKey: string, provider = specProvider()): Promise<SeenServerProcess[]> {
  if (provider === 'embedded') return projectPostmasters(projectKey).map(({ id, state }) => ({ id, state }));
  if (provider === 'external') return [];
  const list = await docker.listContainers({ all: true, filters: { label: [`pgdock.project=${projectKey}`] } });
  return list.map((c) => ({ id: c.Id, state: c.State }));
}

/** The pgdock containers of one project (docker-only specs). */
export async function projectContainers(projectKey: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`pgdock.project=${projectKey}`] } });
}

/** Removes a project's servers (of the provider under test, unless told): a safety net after a spec has checked what it wanted. */
export async function removeProjectServers(projectKey: string, provider = specProvider()): Promise<void> {
  if (provider === 'embedded') {
    for (const p of projectPostmasters(projectKey)) {
      try {
        process.kill(Number(p.id), 'SIGQUIT');
      } catch {
        // already gone
      }
      rmSync(p.runtimeDir, { recursive: true, force: true });
    }
    return;
  }
  if (provider === 'external') return;
  for (const c of await projectContainers(projectKey)) {
    await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => {});
  }
}

/** Polls while something runs and remembers the most servers seen at once, and all ids. */
export class ServerWatch {
  maxAtOnce = 0;
  readonly ids = new Set<string>();
  private stopped = false;
  private loop: Promise<void>;

  constructor(private readonly projectKey: string, intervalMs = 50) {
    this.loop = (async () => {
      while (!this.stopped) {
        const list = await projectServers(this.projectKey);
        this.maxAtOnce = Math.max(this.maxAtOnce, list.length);
        for (const c of list) this.ids.add(c.id);
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    })();
  }

  async stop(): Promise<this> {
    this.stopped = true;
    await this.loop;
    return this;
  }
}

export { docker };
