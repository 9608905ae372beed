// Covered by spec/unit/mocha/run-server.spec.ts and end to end by spec/e2e/shared-server.spec.ts.
import { RUN_ID_ENV } from '../coordination/run-identity.js';
import type { ServerInfo } from '../server/server-info.js';

/**
 * The server mocha's main process attached to before its workers forked (a warm start), handed to
 * them in their environment: a worker then needs no start-up thread, no lock and no round trip of
 * its own. The run's lease is the main process's, taken once. Only this module names the variable.
 */
const RUN_SERVER_ENV = 'PGDOCK_RUN_SERVER';

/** What the variable holds: the server, tied to the run that attached to it. */
interface Handoff {
  runId: string;
  info: ServerInfo;
}

function isServerInfo(value: unknown): value is ServerInfo {
  const v = value as Partial<ServerInfo> | null;
  return (
    !!v &&
    (v.provider === 'docker' || v.provider === 'embedded' || v.provider === 'external') &&
    typeof v.host === 'string' &&
    Number.isInteger(v.port) &&
    typeof v.user === 'string' &&
    typeof v.password === 'string' &&
    typeof v.database === 'string'
  );
}

/** In mocha's main process: the workers it forks next attach to `info`. */
export function publishRunServer(info: ServerInfo, env: NodeJS.ProcessEnv = process.env): void {
  const runId = env[RUN_ID_ENV];
  if (runId) env[RUN_SERVER_ENV] = JSON.stringify({ runId, info } satisfies Handoff);
}

/**
 * In a worker: the server its run attached to, if the main process handed one down for this run.
 * Read once: the variable is removed, so that processes the tests spawn do not inherit its password.
 */
export function runServerFromEnv(env: NodeJS.ProcessEnv = process.env): ServerInfo | undefined {
  const text = env[RUN_SERVER_ENV];
  if (!text) return undefined;
  delete env[RUN_SERVER_ENV];
  try {
    const handoff = JSON.parse(text) as Partial<Handoff>;
    return handoff.runId === env[RUN_ID_ENV] && isServerInfo(handoff.info) ? handoff.info : undefined;
  } catch {
    return undefined;
  }
}
