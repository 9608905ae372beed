// Covered by spec/integration/sync/schema-pairs.spec.ts.
import { ErrorCodes, PgdockError } from '../errors.js';
import { isLostConnection, isServerGone } from '../server/server-gone.js';
import type { SchemaOwner } from '../isolation/marks.js';
import type { SchemaPairNames } from '../isolation/names.js';
import type { PairSetup } from '../isolation/setup.js';
import type { ServerInfo } from '../server/server-info.js';
import { SyncBridge, TIMED_OUT } from './bridge.js';

/** What the pool thread starts with. */
export interface PairThreadData {
  isolation: 'schema' | 'database';
  server: ServerInfo;
  setup: PairSetup;
  owner: SchemaOwner;
  size: number;
}

/** A test's pair; in database isolation, with the test's database. */
export type PairNames = SchemaPairNames & { database?: string };

export type PairRequest =
  | { type: 'claim'; names: PairNames }
  | { type: 'release'; names: PairNames; keepForMs?: number; keepAs?: PairNames }
  | { type: 'close' };

type Reply = { ok: true; result: string } | { ok: false; error: string };

const REQUEST_TIMEOUT_MS = 120_000;

/**
 * The test thread's side of the pool thread: `claim` and `close` wait for the answer (a test reads
 * `this.pg.source` synchronously); `release` is posted and never waited for.
 */
export class PairClient {
  private readonly bridge: SyncBridge;
  private closed = false;

  constructor(data: PairThreadData) {
    this.bridge = new SyncBridge('pool-thread', data);
    this.wait('start');
  }

  private wait(what: string): string {
    const reply = this.bridge.wait<Reply>(REQUEST_TIMEOUT_MS);
    if (reply === TIMED_OUT) {
      throw new PgdockError(ErrorCodes.PAIR_FAILED, `pgdock's schema pool did not answer a ${what} request within ${REQUEST_TIMEOUT_MS} ms.`, 'Run again with DEBUG=pgdock:* to see what the pool was doing.');
    }
    if (!reply?.ok) {
      const error = reply ? reply.error : 'no answer';
      throw new PgdockError(
        ErrorCodes.PAIR_FAILED,
        `pgdock could not ${what} a schema pair: ${error}`,
        // A lost connection is the server's doing, not the setup's.
        isLostConnection({ message: error })
          ? 'The server stopped answering; `npx pgdock status` shows whether it still runs.'
          : 'Check the pair setup files or module (options sourceSetup, destinationSetup, pairSetupModule).',
      );
    }
    return reply.result;
  }

  private request(request: PairRequest): string {
    if (this.closed) throw new PgdockError(ErrorCodes.PAIR_FAILED, 'pgdock\'s schema pool is closed.', 'Use this.pg only inside tests and hooks.');
    this.bridge.post(request);
    return this.wait(request.type);
  }

  /** Waits for the pair to exist under `names`. */
  claim(names: PairNames): void {
    this.request({ type: 'claim', names });
  }

  /** Drops (or keeps, renamed to `keepAs` if given) a pair in the background. */
  release(names: PairNames, keepForMs?: number, keepAs?: PairNames): void {
    if (this.closed) return;
    const message: PairRequest = keepForMs ? { type: 'release', names, keepForMs, ...(keepAs ? { keepAs } : {}) } : { type: 'release', names };
    this.bridge.post(message);
  }

  /** Drops the unclaimed prepared pairs and stops the thread. */
  close(): void {
    if (this.closed) return;
    if (isServerGone()) {
      // Nothing left to drop: the pairs went with the server.
      this.closed = true;
      this.bridge.close(true);
      return;
    }
    try {
      this.request({ type: 'close' });
    } finally {
      this.closed = true;
      this.bridge.close(true);
    }
  }
}
