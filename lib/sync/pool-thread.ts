// Covered by spec/integration/sync/schema-pairs.spec.ts.
// The pair pool's own thread: it keeps prepared pairs topped up in the background and answers
// claims, while the test's thread waits only for the rename. Imports are inside the try so that
// any failure is answered rather than hanging the waiting thread.
import { threadId, workerData } from 'node:worker_threads';
import type { BridgeData } from './bridge.js';
import type { PairRequest, PairThreadData } from './schema-pairs.js';
import { answerer } from './thread-answer.js';

const { isolation, server, setup, owner, size, flag, port, parentPid } = workerData as PairThreadData & BridgeData;

/** The message with the driver's code when the message lacks it (a refused connection's AggregateError has none). */
function describeError(err: unknown): string {
  const { message, code } = (err ?? {}) as { message?: string; code?: unknown };
  const text = message || String(err);
  return typeof code === 'string' && !text.includes(code) ? `${text} (${code})` : text;
}

const reply = answerer({ flag, port });

try {
  const { endWithParent } = await import('./parent-watch.js');
  endWithParent(parentPid);
  const { default: postgres } = await import('postgres');
  const { SchemaPool } = await import('../isolation/schema-pool.js');
  const { DatabasePool } = await import('../isolation/database-pool.js');
  const { sweepDatabases, sweepSchemas } = await import('../isolation/sweep.js');
  const { connectionUrl } = await import('../server/server-info.js');
  const { createDebug } = await import('../debug.js');
  const { flushMetrics, recordForRun } = await import('../metrics/metrics-files.js');
  const { resolveOptions } = await import('../config/options.js');
  const log = createDebug('pairs');
  try {
    recordForRun(resolveOptions().stateDir, 'thread', threadId);
  } catch {
    // options are checked (and reported) by the test's thread
  }
  const url = connectionUrl(server);
  const named = { application_name: `pgdock pool-thread ${process.pid}` };
  const claimSql = postgres(url, { max: 1, onnotice: () => {}, connection: named });
  const workSql = postgres(url, { max: 2, onnotice: () => {}, connection: named });
  const pool =
    isolation === 'database'
      ? new DatabasePool(server, claimSql, workSql, setup, owner, size)
      : new SchemaPool(claimSql, workSql, setup, owner, size);
  // Leftovers of dead workers and expired kept pairs go first; then the pool fills.
  await claimSql`select 1`; // connect now, not during the first test's claim
  const ready = Promise.all([sweepSchemas(workSql), sweepDatabases(workSql)]).then(() => pool.fill()).catch((err: Error) => log('start-up sweep/fill failed: %s', err.message));

  port.on('message', async (request: PairRequest) => {
    try {
      if (request.type === 'claim') {
        const { database, ...schemas } = request.names;
        if (pool instanceof DatabasePool) await pool.claim({ ...schemas, database: database! });
        else await pool.claim(schemas);
        reply({ ok: true, result: 'claimed' });
      } else if (request.type === 'release') {
        const keep = request.keepForMs ? { forMs: request.keepForMs } : undefined;
        const { database, ...schemas } = request.names;
        if (pool instanceof DatabasePool) await pool.release({ ...schemas, database: database! }, keep);
        else await pool.release(schemas, keep, request.keepAs);
      } else {
        await ready;
        await pool.close();
        flushMetrics();
        await Promise.all([claimSql.end({ timeout: 1 }), workSql.end({ timeout: 1 })]);
        reply({ ok: true, result: 'closed' });
        port.close();
      }
    } catch (err) {
      if (request.type === 'release') log('release of %s failed: %s', request.names.source, (err as Error).message);
      else reply({ ok: false, error: describeError(err) });
    }
  });
  reply({ ok: true, result: 'started' });
} catch (err) {
  reply({ ok: false, error: describeError(err) });
}
