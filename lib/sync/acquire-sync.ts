// Covered by spec/integration/mocha/register.spec.ts (`this.pg` waits for the server) and
// spec/e2e/shared-server.spec.ts (a cold worker's first pair comes with its server).
import { ErrorCodes, PgdockError, printable, type SerializedError } from '../errors.js';
import type { PgdockOptions } from '../config/options.js';
import type { SchemaOwner } from '../isolation/marks.js';
import type { SchemaPairNames } from '../isolation/names.js';
import type { PairSetup } from '../isolation/setup.js';
import type { ServerInfo } from '../server/server-info.js';
import { SyncBridge, TIMED_OUT } from './bridge.js';

const SYNC_ACQUIRE_CAP_MS = 15 * 60_000;

/** A schema pair the start-up thread builds once the server answers: a cold worker's first test's. */
export interface FirstPair {
  setup: PairSetup;
  owner: SchemaOwner;
  names: SchemaPairNames;
}

type ThreadResult = { ok: true; info: ServerInfo; pairBuilt: boolean } | { ok: false; error: SerializedError; pgdock: boolean };

/**
 * {@link acquireServerFor} made synchronous: a worker thread runs the protocol while this thread
 * waits. It lets a test's first touch of `this.pg` hand back a ready server with no `await`. Given
 * `pair`, the thread also builds it (the test asked for its pair: one thread and one wait instead of
 * two); `pairBuilt` is false if that failed, and the caller asks again where the failure is reported.
 */
export function acquireServerSync(input: PgdockOptions = {}, pair?: FirstPair): { info: ServerInfo; pairBuilt: boolean } {
  const bridge = new SyncBridge('acquire-thread', { input, pair });
  // The thread answers on every path (its imports are inside its try); the cap is a last resort.
  const answer = bridge.wait<ThreadResult>(SYNC_ACQUIRE_CAP_MS);
  bridge.close(false);
  const message = answer === TIMED_OUT ? undefined : answer;
  if (!message) {
    throw new PgdockError(ErrorCodes.CONTAINER_FAILED, 'pgdock\'s start-up thread ended without an answer.', 'Run again with DEBUG=pgdock:* to see what it did.');
  }
  if (message.ok) return { info: message.info, pairBuilt: message.pairBuilt };
  if (message.pgdock) throw printable(PgdockError.fromJSON(message.error));
  throw new PgdockError(ErrorCodes.CONTAINER_FAILED, `Starting the Postgres server failed: ${message.error.message}`, 'Run again with DEBUG=pgdock:* for details.');
}
