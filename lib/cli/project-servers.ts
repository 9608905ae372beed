// Covered by spec/unit/cli/project-servers.spec.ts and spec/e2e/cli-servers.spec.ts.
import type { ResolvedOptions } from '../config/options.js';
import { dockerEngineProblem } from '../server/choose-provider.js';
import { loadProvider } from '../server/providers/load-provider.js';
import type { ListedServer, ListScope } from '../server/providers/provider.js';
import { projectKey, serverKey, type ServerOptions } from '../coordination/server-key.js';

/** One server pgdock started, of any config, as the CLI sees it: as its provider lists it, and whether it is this environment's. */
export interface FoundServer extends ListedServer {
  /** Serves the config a run with the current options would use (if it chose this provider). */
  current: boolean;
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

/** What a listing found, and why Docker's servers are missing from it when no engine answered. */
export interface FoundServers {
  servers: FoundServer[];
  dockerProblem?: string;
}

/**
 * The servers of both providers that start servers, each marked `current` when it serves the config
 * these options describe. Docker only when an engine answers (with no engine, embedded servers still
 * count), unless Docker is the configured provider: then its listing throws the full error.
 */
async function listServers(options: ResolvedOptions, scope: ListScope): Promise<FoundServers> {
  const problem = await dockerEngineProblem();
  const skipDocker = problem !== undefined && options.provider !== 'docker';
  const found: FoundServer[] = [];
  for (const name of skipDocker ? (['embedded'] as const) : (['docker', 'embedded'] as const)) {
    const current = serverKey({ ...options, provider: name } as ServerOptions);
    for (const server of await (await loadProvider(name)).list(scope)) found.push({ ...server, current: server.key === current });
  }
  return skipDocker ? { servers: found, dockerProblem: `no Docker engine answered (${problem})` } : { servers: found };
}

/**
 * Every server of this project, whatever its config: containers by their project label, embedded
 * servers in this state dir and wherever their runtime folders say they belong (runs with another
 * `PGDOCK_STATE_DIR`). Nothing in the environment but the project root has to match.
 */
export async function findProjectServers(options: ResolvedOptions): Promise<FoundServers> {
  return listServers(options, { project: projectKey(options), stateDir: options.stateDir });
}

/** Every pgdock server `prune` may look at: all containers, and the embedded servers of this state dir. */
export async function findAllServers(options: ResolvedOptions): Promise<FoundServers> {
  return listServers(options, { project: undefined, stateDir: options.stateDir });
}
