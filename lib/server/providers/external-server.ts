// Covered by spec/e2e/providers.spec.ts (external runs) and spec/integration/server/providers/provider-list.spec.ts (list, remove).
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCodes, PgdockError, redactSecrets } from '../../errors.js';
import { sqlError } from '../readiness.js';
import { redactedUrl, type ServerInfo } from '../server-info.js';
import type { ServerOptions } from '../../coordination/index.js';
import type { ServerProvider } from './provider.js';

/** Reads `postgres://user:password@host:port/db` into a server description. */
export function externalInfo(url: string): ServerInfo {
  const parsed = new URL(url);
  const user = decodeURIComponent(parsed.username) || 'postgres';
  return {
    provider: 'external',
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port ? Number(parsed.port) : 5432,
    user,
    password: decodeURIComponent(parsed.password),
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || user,
    image: 'external',
  };
}

/**
 * Waits (within the startup timeout, for a CI service container still booting) until the server
 * answers SQL. Nothing is started or stopped: the server is the user's.
 */
async function startOrAdopt(options: ServerOptions): Promise<ServerInfo> {
  const info = externalInfo(options.url ?? '');
  const deadline = Date.now() + options.startupTimeout;
  let last = 'no attempt made';
  while (Date.now() < deadline) {
    const error = await sqlError(info, Math.min(2_000, deadline - Date.now()));
    if (!error) return info;
    last = error;
    // A refused password or a missing database will not fix itself: say so at once.
    if (/password|authentication|does not exist|no pg_hba/i.test(error)) break;
    await sleep(200);
  }
  throw new PgdockError(
    ErrorCodes.SERVER_UNREACHABLE,
    `The external server at ${redactedUrl(info)} did not accept SQL: ${redactSecrets(last)}.`,
    'Check PGDOCK_URL (host, port, user, password, database) and that the server is running, or unset it to let pgdock start one.',
    { provider: 'external', host: info.host, port: info.port },
  );
}

/** The external provider: a server someone else runs. pgdock never stops it. */
export const externalServer: ServerProvider = {
  name: 'external',
  startOrAdopt,
  async removeServer() {
    return [];
  },
  async logTail() {
    return '(the external server’s log is not available to pgdock)';
  },
  /** pgdock started none: there is nothing to list or remove. */
  async list() {
    return [];
  },
  async remove() {
    return [];
  },
};
