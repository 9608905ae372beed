// Covered by spec/e2e/cli-servers.spec.ts (`pgdock url`, with and without --server).
import { ErrorCodes, PgdockError } from '../errors.js';
import type { ResolvedOptions } from '../config/options.js';
import { decideProvider } from '../server/choose-provider.js';
import { connectionUrl, type ServerInfo } from '../server/server-info.js';
import { describeConfig, findProjectServers, type FoundServer } from './project-servers.js';

/** What `pgdock url` prints: the URL (stdout), and a note (stderr) when it is not the obvious server. */
export interface UrlChoice {
  url: string;
  note?: string;
}

/** One line per server, password-free: what the error lists and `--server` picks from. */
function listing(servers: FoundServer[]): string {
  return servers
    .map((s) => `  ${s.provider.padEnd(9)}${s.id.padEnd(13)} ${s.state.padEnd(8)} ${s.info ? `${s.info.host}:${s.info.port}`.padEnd(22) : ''.padEnd(22)} ${describeConfig(s)}`)
    .join('\n');
}

function reachable(server: FoundServer): server is FoundServer & { info: ServerInfo } {
  return server.running && !!server.info;
}

/** `--server <id>`: the 12 characters `status` shows, the whole container id, or a postmaster's pid. */
function pickServer(servers: FoundServer[], wanted: string): UrlChoice {
  const matches = servers.filter((s) => s.id === wanted || (s.provider === 'docker' && wanted.length >= 4 && s.fullId.startsWith(wanted)));
  const list = servers.length ? `This project's servers:\n${listing(servers)}` : 'This project has no pgdock server.';
  if (matches.length !== 1) {
    throw new PgdockError(
      ErrorCodes.CLI_USAGE,
      `${matches.length ? `More than one server of this project has an id starting with ${wanted}` : `No server of this project has the id ${wanted}`}. ${list}`,
      'Pass an id from the second column of `npx pgdock status` (or of the list above): `npx pgdock url --server <id>`.',
      { server: wanted },
    );
  }
  const server = matches[0]!;
  if (!reachable(server)) {
    throw new PgdockError(
      ErrorCodes.CLI_USAGE,
      `The ${server.provider} server ${server.id} (${describeConfig(server)}) is not running (${server.state}).`,
      'Run your tests with the config that started it (and PGDOCK_REUSE=true) to start it again, or pick a running one from `npx pgdock status`.',
      { server: wanted },
    );
  }
  return { url: connectionUrl(server.info) };
}

/**
 * `pgdock url` (it starts nothing): the URL of the server a run with these options would use; when
 * that one is not running but exactly one server of the project is, that one (and a note saying
 * so); when several are and none matches, an error listing them and how to pick. `server` picks
 * one by its id.
 */
export async function serverUrl(options: ResolvedOptions, server?: string): Promise<UrlChoice> {
  if (server !== undefined) return pickServer((await findProjectServers(options)).servers, server);
  // As a run decides: another provider's server may be running, but a run would not use it.
  const { provider, reason } = await decideProvider(options);
  if (provider === 'external') return { url: options.url ?? '' };
  const { servers } = await findProjectServers(options);
  const running = servers.filter(reachable);
  const own = running.find((s) => s.provider === provider && s.current);
  if (own) return { url: connectionUrl(own.info) };
  const wanted = `the ${provider} provider (a run would use it: ${reason})`;
  if (running.length === 1) {
    const only = running[0]!;
    return {
      url: connectionUrl(only.info),
      note: `no server of this environment's config runs for ${wanted}; this is the project's only running server: ${only.provider} ${only.id} (${describeConfig(only)}).`,
    };
  }
  if (running.length === 0) {
    throw new PgdockError(
      ErrorCodes.CLI_USAGE,
      `No pgdock server of this project is running, and none of the config a run would use now, of ${wanted}.`,
      'Run your tests with PGDOCK_REUSE=true (the default outside CI) to keep one, then ask again; `npx pgdock status` lists the project\'s servers.',
      { provider },
    );
  }
  throw new PgdockError(
    ErrorCodes.CLI_USAGE,
    `No running server of this project has the config of this environment (for ${wanted}); ${running.length} of its servers run, of other configs:\n${listing(running)}`,
    `Pick one by its id: \`npx pgdock url --server ${running[0]!.id}\` (an id from the second column above), or set the PGDOCK_* variables of the run that started it.`,
    { provider, running: running.length },
  );
}
