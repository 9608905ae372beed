// Covered by spec/integration/isolation/schema-pool.spec.ts (take, whenReady, kept renames) and end to end by spec/e2e/shared-server.spec.ts and spec/e2e/schema-pairs.spec.ts.
import postgres, { type Sql } from 'postgres';
import { createDebug } from '../debug.js';
import { redactSecrets } from '../errors.js';
import type { SchemaOwner } from '../isolation/marks.js';
import { testPairNames, type SchemaPairNames } from '../isolation/names.js';
import { SchemaPool } from '../isolation/schema-pool.js';
import type { PairSetup } from '../isolation/setup.js';
import { connectionUrl, type ServerInfo } from '../server/server-info.js';

const log = createDebug('pairs');

/** Pairs built ahead in a test process: a test's and a hook's. More would only compete with the tests for the cores. */
const AHEAD = 2;

/**
 * A test process's own schema pairs, built ahead on this thread's event loop (one connection of
 * their own) while tests run: the root hooks wait until one is ready, so a test takes its pair
 * synchronously with no round trip, no rename and no thread. Pairs are handed out under the names
 * they were built with (`src_<nonce>`); one kept on failure is renamed to carry its test's title.
 */
export class LocalPairs {
  private readonly sql: Sql;
  private readonly pool: SchemaPool;
  /** Set once a hook's wait ran out: builds take longer than hooks may wait, so hooks stop waiting (tests ask the pool thread). */
  private outpaced = false;

  constructor(server: ServerInfo, setup: PairSetup, owner: SchemaOwner, poolSize: number) {
    // Named, so that `pg_stat_activity` tells pgdock's own connections apart.
    this.sql = postgres(connectionUrl(server), { max: 1, onnotice: () => {}, connect_timeout: 10, connection: { application_name: `pgdock pairs ${process.pid}` } });
    this.pool = new SchemaPool(this.sql, this.sql, setup, owner, Math.min(poolSize, AHEAD), () => testPairNames(), true);
  }

  /**
   * Undefined when a pair is ready now; else resolves once one is, after `waitMs` at most (a hook
   * must not time out for it: the test then waits for its pair on its own clock), or when building
   * one failed (the test that asks reports it).
   */
  ready(waitMs = Infinity): Promise<void> | undefined {
    if (this.pool.readyCount > 0) return undefined;
    const built = this.pool.whenReady().catch((err: Error) => log('no pair ready ahead: %s', redactSecrets(err.message)));
    if (!Number.isFinite(waitMs)) return built;
    if (this.outpaced) return undefined;
    return within(built, waitMs).then((inTime) => {
      if (!inTime) {
        this.outpaced = true;
        log('a pair took longer to build than a hook may wait (%d ms): tests ask the pool thread when none is ready', waitMs);
      }
    });
  }

  /** A ready pair, or undefined (the caller then asks the pool thread, which can be waited for). */
  take(): SchemaPairNames | undefined {
    return this.pool.take();
  }

  /** Drops the pair in the background, or keeps it for `keepFor` ms under `keepAs`. Resolves when done; never rejects. */
  release(names: SchemaPairNames, keepFor?: number, keepAs?: SchemaPairNames): Promise<void> {
    return this.pool.release(names, keepFor ? { forMs: keepFor } : undefined, keepAs).catch((err: Error) => log('release of %s failed: %s', names.source, redactSecrets(err.message)));
  }

  /**
   * Drops the pairs nobody took and closes the connection, within {@link CLOSE_MS} (what is left is
   * the run's sweep's); on a server that is gone, only closes (nothing there to drop or wait for).
   */
  async close(gone = false): Promise<void> {
    if (!gone) {
      const closed = this.pool.close().catch((err: Error) => log('closing the pairs built ahead failed: %s', redactSecrets(err.message)));
      if (!(await within(closed, CLOSE_MS))) log('the pairs built ahead were not dropped within %d ms: left for the run\'s sweep', CLOSE_MS);
    }
    await this.sql.end({ timeout: gone ? 0 : 1 }).catch(() => {});
  }
}

/** How long closing waits for pending builds and drops. */
const CLOSE_MS = 5_000;

/** Whether `work` settled within `ms` (it goes on either way). */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}
