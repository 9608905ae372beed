// Covered by spec/integration/server/server-check.spec.ts.
import { PgdockError, redactSecrets } from '../errors.js';
import { sqlError } from './readiness.js';
import type { ServerInfo } from './server-info.js';

/** What a provider knows of a server that stopped answering. */
export interface GoneServer {
  /** What happened, e.g. "Docker container 57806a6b1d2f was removed". */
  what: string;
  /** When it stopped, when the provider knows (ms since the epoch). */
  since?: number;
  /** What to do about it. */
  hint: string;
  context: Record<string, string | number>;
}

const RUN_AGAIN = 'Run again; the next run starts a new server (`npx pgdock status` shows what is running).';

/**
 * One cheap look at whether `info`'s server is gone, through its provider: one container inspect
 * for Docker, a look at the postmaster process for embedded, one SQL round trip for an external
 * server. `undefined` when it still runs.
 */
export async function checkServerGone(info: ServerInfo): Promise<GoneServer | undefined> {
  switch (info.provider) {
    case 'docker':
      return checkContainer(info);
    case 'embedded':
      return checkPostmaster(info);
    case 'external':
      return checkExternal(info);
  }
}

async function checkContainer(info: ServerInfo): Promise<GoneServer | undefined> {
  const id = info.containerId ?? '';
  const short = id.slice(0, 12);
  const context = { provider: 'docker', containerId: short };
  const { containerStatus } = await import('./docker/engine.js');
  let status;
  try {
    status = await containerStatus(id);
  } catch (err) {
    // The engine is gone too; the server may still answer (a restarting engine with live-restore).
    const problem = await sqlError(info, 1_000);
    if (!problem) return undefined;
    const why = err instanceof PgdockError ? err.summary.replace(/\.$/, '') : String(err);
    return { what: `Docker container ${short} does not answer, and neither does the engine (${why})`, hint: 'Start Docker again, then run again; the next run starts a new server.', context };
  }
  if (status.state === 'removed') return { what: `Docker container ${short} was removed`, hint: RUN_AGAIN, context };
  if (status.state === 'exited') {
    const how = status.oomKilled ? `was killed for lack of memory (exit code ${status.exitCode})` : `exited with code ${status.exitCode}`;
    const since = Date.parse(status.finishedAt ?? '');
    return { what: `Docker container ${short} ${how}`, ...(since > 0 ? { since } : {}), hint: RUN_AGAIN, context: { ...context, exitCode: status.exitCode ?? -1 } };
  }
  return undefined;
}

async function checkPostmaster(info: ServerInfo): Promise<GoneServer | undefined> {
  const { embeddedServerAlive } = await import('./providers/embedded-runtime.js');
  const { alive, folder } = embeddedServerAlive(info);
  if (alive) return undefined;
  const where = `the embedded postmaster (pid ${info.pid}, port ${info.port})`;
  return {
    what: folder ? `${where} is no longer running` : `${where} is no longer running and its data folder is gone`,
    hint: RUN_AGAIN,
    context: { provider: 'embedded', pid: info.pid ?? 0 },
  };
}

async function checkExternal(info: ServerInfo): Promise<GoneServer | undefined> {
  const problem = await sqlError(info, 2_000);
  if (!problem) return undefined;
  return {
    what: `the external server at ${info.host}:${info.port} no longer answers SQL (${redactSecrets(problem)})`,
    hint: 'Start that server again (pgdock never starts or stops an external server), then run again; `npx pgdock status` shows what pgdock sees.',
    context: { provider: 'external', host: info.host, port: info.port },
  };
}
