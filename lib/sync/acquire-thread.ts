// Covered by spec/integration/mocha/register.spec.ts.
// Runs in a worker thread for acquireServerSync: the async protocol on its own event loop.
// Only worker_threads is imported statically, so even a failed import is reported back.
import { workerData } from 'node:worker_threads';
import type { BridgeData } from './bridge.js';
import { answerer } from './thread-answer.js';

const { input, flag, port, parentPid } = workerData as { input: unknown } & BridgeData;

const finish = answerer({ flag, port });

try {
  const { endWithParent } = await import('./parent-watch.js');
  endWithParent(parentPid);
  const { acquireServerFor } = await import('../server/acquire-server.js');
  const { resolveOptions } = await import('../config/options.js');
  const { currentRun } = await import('../coordination/run-identity.js');
  const info = await acquireServerFor(resolveOptions(input as never), currentRun());
  finish({ ok: true, info });
} catch (err) {
  const { PgdockError } = await import('../errors.js');
  const pgdock = err instanceof PgdockError;
  finish({ ok: false, pgdock, error: pgdock ? err.toJSON() : { message: (err as Error)?.message ?? String(err) } });
}
