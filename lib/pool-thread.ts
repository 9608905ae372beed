// The pair pool's own thread: it keeps prepared pairs topped up in the background and answers
// claims, while the test's thread waits only for the rename. Imports are inside the try so that
// any failure is answered rather than hanging the waiting thread.
import { workerData, type MessagePort } from 'node:worker_threads';
import type { PairRequest, PairThreadData } from './schema-pairs.js';

const { server, setup, owner, size, flag, port } = workerData as PairThreadData & { flag: Int32Array; port: MessagePort };

function reply(message: unknown): void {
  port.postMessage(message);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

try {
  const { default: postgres } = await import('postgres');
  const { SchemaPool, sweepSchemas } = await import('./schema-pool.js');
  const { connectionUrl } = await import('./server-info.js');
  const { createDebug } = await import('./debug.js');
  const log = createDebug('pairs');
  const url = connectionUrl(server);
  const claimSql = postgres(url, { max: 1, onnotice: () => {} });
  const workSql = postgres(url, { max: 2, onnotice: () => {} });
  const pool = new SchemaPool(claimSql, workSql, setup, owner, size);
  // Leftovers of dead workers and expired kept pairs go first; then the pool fills.
  await claimSql`select 1`; // connect now, not during the first test's claim
  const ready = sweepSchemas(workSql).then(() => pool.fill()).catch((err: Error) => log('start-up sweep/fill failed: %s', err.message));

  port.on('message', async (request: PairRequest) => {
    try {
      if (request.type === 'claim') {
        reply({ ok: true, result: await pool.claim(request.names) });
      } else if (request.type === 'release') {
        await pool.release(request.names, request.keepForMs ? { forMs: request.keepForMs } : undefined);
      } else {
        await ready;
        await pool.close();
        await Promise.all([claimSql.end({ timeout: 1 }), workSql.end({ timeout: 1 })]);
        reply({ ok: true, result: 'closed' });
        port.close();
      }
    } catch (err) {
      if (request.type === 'release') log('release of %s failed: %s', request.names.source, (err as Error).message);
      else reply({ ok: false, error: (err as Error).message });
    }
  });
  reply({ ok: true, result: 'started' });
} catch (err) {
  reply({ ok: false, error: (err as Error)?.message ?? String(err) });
}
