// Covered by spec/integration/mocha/register.spec.ts and spec/e2e/shared-server.spec.ts.
// Runs in a worker thread for acquireServerSync: the async protocol on its own event loop.
// Only worker_threads is imported statically, so even a failed import is reported back.
import { threadId, workerData } from 'node:worker_threads';
import type { FirstPair } from './acquire-sync.js';
import type { BridgeData } from './bridge.js';
import { answerer } from './thread-answer.js';

const { input, pair, flag, port, parentPid } = workerData as { input: unknown; pair?: FirstPair } & BridgeData;

const finish = answerer({ flag, port });

/** Builds the caller's first pair on the server just acquired; false (logged) if that failed: the caller then asks where a failure is reported. */
async function buildFirstPair(info: import('../server/server-info.js').ServerInfo, first: FirstPair): Promise<boolean> {
  const { default: postgres } = await import('postgres');
  const { SchemaPool } = await import('../isolation/schema-pool.js');
  const { connectionUrl } = await import('../server/server-info.js');
  const { createDebug } = await import('../debug.js');
  const sql = postgres(connectionUrl(info), { max: 1, onnotice: () => {}, connection: { application_name: `pgdock start-up ${process.pid}` } });
  try {
    await new SchemaPool(sql, sql, first.setup, first.owner, 0).claim(first.names);
    return true;
  } catch (err) {
    createDebug('pairs')('the first pair, built with the server, failed: %s', (err as Error).message);
    return false;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {});
  }
}

try {
  const { endWithParent } = await import('./parent-watch.js');
  endWithParent(parentPid);
  const { acquireServerFor } = await import('../server/acquire-server.js');
  const { resolveOptions } = await import('../config/options.js');
  const { currentRun } = await import('../coordination/run-identity.js');
  const { flushMetrics, recordForRun } = await import('../metrics/metrics-files.js');
  const resolved = resolveOptions(input as never);
  recordForRun(resolved.stateDir, 'thread', threadId);
  const { serverStarted } = await import('../metrics/process-metrics.js');
  const info = await acquireServerFor(resolved, currentRun(), serverStarted);
  const pairBuilt = pair ? await buildFirstPair(info, pair) : false;
  flushMetrics();
  finish({ ok: true, info, pairBuilt });
} catch (err) {
  const { PgdockError } = await import('../errors.js');
  const pgdock = err instanceof PgdockError;
  finish({ ok: false, pgdock, error: pgdock ? err.toJSON() : { message: (err as Error)?.message ?? String(err) } });
}
