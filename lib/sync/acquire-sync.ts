// Covered by spec/integration/mocha/register.spec.ts (`this.pg` waits for the server).
import { ErrorCodes, PgdockError, printable, type SerializedError } from '../errors.js';
import type { PgdockOptions } from '../config/options.js';
import type { ServerInfo } from '../server/server-info.js';
import { SyncBridge, TIMED_OUT } from './bridge.js';

const SYNC_ACQUIRE_CAP_MS = 15 * 60_000;

type ThreadResult = { ok: true; info: ServerInfo } | { ok: false; error: SerializedError; pgdock: boolean };

/**
 * {@link acquireServerFor} made synchronous: a worker thread runs the protocol while this thread
 * waits. It lets a test's first touch of `this.pg` hand back a ready server with no `await`.
 */
export function acquireServerSync(input: PgdockOptions = {}): ServerInfo {
  const bridge = new SyncBridge('acquire-thread', { input });
  // The thread answers on every path (its imports are inside its try); the cap is a last resort.
  const answer = bridge.wait<ThreadResult>(SYNC_ACQUIRE_CAP_MS);
  bridge.close(false);
  const message = answer === TIMED_OUT ? undefined : answer;
  if (!message) {
    throw new PgdockError(ErrorCodes.CONTAINER_FAILED, 'pgdock\'s start-up thread ended without an answer.', 'Run again with DEBUG=pgdock:* to see what it did.');
  }
  if (message.ok) return message.info;
  if (message.pgdock) throw printable(PgdockError.fromJSON(message.error));
  throw new PgdockError(ErrorCodes.CONTAINER_FAILED, `Starting the Postgres server failed: ${message.error.message}`, 'Run again with DEBUG=pgdock:* for details.');
}
