// Covered by spec/integration/mocha/register.spec.ts.
import { claimed as noteClaim, released, waited } from '../metrics/process-metrics.js';
import postgres, { type Sql } from 'postgres';
import { currentOwner } from '../isolation/marks.js';
import { resolvePairSetup } from '../isolation/setup.js';
import { createNonce, pairNonce, quoteIdentifier, schemaPairNames, testDatabaseName, testPairNames } from '../isolation/names.js';
import type { PairNames } from '../sync/schema-pairs.js';
import {
  acquireNow, currentServer, extendTimeout, handedServer, processClient, processOptions, processPairs, processServer, readyLocalPair, recordQuery,
  releaseLocalPair, releaseThreadPair, startFailed, takeLocalPair, type TimedRunnable,
} from './process-pg.js';
import { renderFixture, type FixtureValues, type RenderedFixture } from '../fixtures/fixtures.js';
import { connectionUrl, hideSecretsWhenPrinted, redactedUrl, summarizeServer, type ServerInfo, type ServerSummary } from '../server/server-info.js';
import { isServerGone, throwIfServerGone } from '../server/server-gone.js';
import { FreshPairs, keptPairLine, type FreshPair, type SchemaRole } from './fresh-pairs.js';

export type { FreshPair, SchemaRole, TimedRunnable };

/** A test's pair, and where it came from: this thread's own pool, or the pool thread. */
type HeldPair = PairNames & { title: string; local: boolean };

/** What a test sees as `this.pg`. */
export interface PgContext {
  /** A postgres.js client on the shared server (one pool per worker process). */
  readonly sql: Sql;
  /** A connection URL with the password, for the code under test. Printing `this.pg` shows it redacted. */
  readonly url: string;
  /** Where the server is; no credentials. */
  readonly server: ServerSummary;
  /** This test's source schema, `src_<nonce>` (built ahead, taken on first read), dropped after the test; kept on failure as `src_<title>_<nonce>`. */
  readonly source: string;
  /** This test's destination schema, `dst_<nonce>`, of the same pair as `source`. */
  readonly destination: string;
  /** In `isolation: 'database'`, this test's own database (`sql` and `url` point at it); else undefined. */
  readonly database: string | undefined;
  /** `schema."name"` for a table in this test's pair, quoted so tests never hand-quote. */
  table(name: string, role?: SchemaRole): string;
  /** A postgres.js client whose `search_path` is one schema of the pair (closed after the test). */
  sqlFor(role: SchemaRole): Sql;
  /**
   * Renders a YAML template from the fixtures dir with this test's values: `${source.schema}`,
   * `${destination.schema}`, `${postgres.host}`, `${postgres.port}`, `${postgres.url}`,
   * `${postgres.user}`, `${postgres.database}`, plus `extra` (which may override them).
   */
  fixture(nameOrPath: string, extra?: FixtureValues): RenderedFixture;
  /**
   * Another isolated pair for this test, from the same pool (pair setup applied): as many as it asks
   * for, each dropped when the test ends (kept on failure, as the test's own), or sooner with
   * `release()`. For property tests: a fresh pair per generated case (see `pgdock/fast-check`).
   */
  freshPair(): Promise<FreshPair>;
}

function mergeValues(base: FixtureValues, extra: FixtureValues): FixtureValues {
  const out: FixtureValues = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    const prev = out[k];
    out[k] = v && typeof v === 'object' && prev && typeof prev === 'object' ? mergeValues(prev, v) : v;
  }
  return out;
}

/** One test's (or one file's) use of pgdock, finished by the plugin's after hook. */
export interface PgScope {
  context: PgContext;
  /** Names this scope handed out (tables from table(), the pair's schemas), for chai's `.exist` / `.empty`. */
  names: Map<string, 'table' | 'schema'>;
  /** Names that live in another database than the test's own client reaches (fresh pairs in database isolation). */
  clients: Map<string, () => Sql>;
  /** Releases what the scope claimed: the pair is dropped in the background, or kept when `failed` and asked to. */
  finish(failed: boolean, error?: { message: string }): void;
  /** What a failure report should show: the server (if this scope started or used it) and the pair. */
  describe(): { server: ServerInfo | undefined; pair: Record<string, string | undefined> | undefined };
}

/** Builds `this.pg` for one test; nothing starts until one of its properties is read. */
export function createPgScope(runnable: () => TimedRunnable | undefined): PgScope {
  let used = false;
  const info = (): ServerInfo => {
    used = true;
    return processServer(runnable());
  };
  let pair: HeldPair | undefined;
  let testSql: Sql | undefined;
  const scoped = new Map<SchemaRole, Sql>();
  const perDatabase = (): boolean => processOptions().isolation === 'database';
  /** A new pair from the pool, named after the test; the wait is given back to its timeout. */
  const claimNew = (): HeldPair => {
    const { held, claimMs } = claimFromPool();
    noteClaim(claimMs, held.database ? 'database' : 'pair');
    return held;
  };
  /** The pair, and what its claim took as the test saw it: starting the server or the pool thread is not counted in it (those are waits of their own). */
  const claimFromPool = (): { held: HeldPair; claimMs: number } => {
    const r = runnable();
    const title = r?.testTitle ?? r?.title ?? 'test';
    used = true;
    throwIfServerGone();
    if (!perDatabase()) {
      const asked = performance.now();
      const ready = takeLocalPair();
      if (ready) return { held: { ...ready, title, local: true }, claimMs: performance.now() - asked }; // taken from what this thread built ahead
      const setup = resolvePairSetup(processOptions());
      // A cold worker's first pair: built by the thread that acquires the server, in the same wait. Not
      // with a setup module (it runs on the test's thread, where mocha's --require loaders are), nor
      // without a pool of this process's own to release it to.
      if (!currentServer() && !startFailed() && !handedServer() && !setup.module && processOptions().poolSize >= 1) {
        const names = testPairNames();
        if (acquireNow(r, { setup, owner: currentOwner(), names })) return { held: { ...names, title, local: true }, claimMs: 0 }; // its wait is the server's
      }
    }
    // The pool thread: nothing was ready here (the first pair's build failed: it reports why), or database isolation.
    const where = info();
    const nonce = createNonce();
    const names: PairNames = perDatabase() ? { ...schemaPairNames(title, nonce), database: testDatabaseName(title, nonce) } : testPairNames(nonce);
    const starting = performance.now();
    const pool = processPairs(where); // the first time, starts the pool thread
    const asked = performance.now();
    pool.claim(names);
    const done = performance.now();
    extendTimeout(r, done - starting);
    waited('pairsMs', done - starting);
    return { held: { ...names, title, local: false }, claimMs: done - asked };
  };
  /** Drops a pair in the background, or keeps it renamed to carry its test's title; returns the names it is kept under. */
  const releasePair = (held: HeldPair, keepFor: number | undefined): PairNames => {
    const { title, local: fromHere, ...names } = held;
    const keepAs = keepFor && !names.database ? schemaPairNames(title, pairNonce(names.source)) : undefined;
    if (fromHere) releaseLocalPair(names, keepFor, keepAs);
    else releaseThreadPair(names, keepFor, keepAs);
    released(Boolean(keepFor), names.database ? 'database' : 'pair');
    return keepAs ?? names;
  };
  const claimed = (): HeldPair => (pair ??= claimNew());
  const names = new Map<string, 'table' | 'schema'>();
  const clients = new Map<string, () => Sql>();
  const fresh = new FreshPairs({
    claim: claimNew,
    ready: () => readyLocalPair(),
    release: (p, keepFor) => releasePair(p as HeldPair, keepFor),
    client: () => processClient(info()),
    databaseUrl: (database) => connectionUrl({ ...info(), database }),
    names,
    clients,
  });
  const schema = (role: SchemaRole): string => {
    const name = role === 'source' ? claimed().source : claimed().destination;
    names.set(name, 'schema');
    return name;
  };
  // In database isolation the test's database is where sql and url point; else the shared one.
  const target = (): ServerInfo => (perDatabase() ? { ...info(), database: claimed().database! } : info());

  const context = {} as PgContext;
  Object.defineProperties(context, {
    sql: {
      enumerable: true,
      get: () => {
        if (!perDatabase()) return processClient(info());
        testSql ??= postgres(connectionUrl(target()), { max: 2, onnotice: () => {}, debug: recordQuery });
        return testSql;
      },
    },
    url: { enumerable: false, get: () => connectionUrl(target()) },
    server: { enumerable: true, get: () => summarizeServer(info()) },
    source: { enumerable: true, get: () => schema('source') },
    destination: { enumerable: true, get: () => schema('destination') },
    database: { enumerable: true, get: () => (perDatabase() ? claimed().database : undefined) },
    table: {
      value: (name: string, role: SchemaRole = 'source') => {
        if (typeof name !== 'string' || name === '') throw new TypeError(`this.pg.table() needs a table name, got ${JSON.stringify(name)}`);
        if (role !== 'source' && role !== 'destination') throw new TypeError(`this.pg.table() role must be 'source' or 'destination', got ${JSON.stringify(role)}`);
        const qualified = `${schema(role)}.${quoteIdentifier(name)}`;
        names.set(qualified, 'table');
        return qualified;
      },
    },
    fixture: {
      value: (nameOrPath: string, extra: FixtureValues = {}) => {
        const where = target();
        const values: FixtureValues = {
          source: { schema: schema('source') },
          destination: { schema: schema('destination') },
          postgres: { host: where.host, port: where.port, url: connectionUrl(where), user: where.user, database: where.database },
        };
        return renderFixture(nameOrPath, mergeValues(values, extra), processOptions().fixturesDir);
      },
    },
    freshPair: { value: (): Promise<FreshPair> => fresh.take() },
    sqlFor: {
      value: (role: SchemaRole) => {
        if (role !== 'source' && role !== 'destination') throw new TypeError(`this.pg.sqlFor() role must be 'source' or 'destination', got ${JSON.stringify(role)}`);
        let sql = scoped.get(role);
        if (!sql) {
          sql = postgres(connectionUrl(target()), { max: 2, onnotice: () => {}, debug: recordQuery, connection: { search_path: schema(role) } });
          scoped.set(role, sql);
        }
        return sql;
      },
    },
  });
  hideSecretsWhenPrinted(context, () => {
    const server = currentServer();
    return {
    ...(server ? { url: redactedUrl(pair?.database ? { ...server, database: pair.database } : server), server: summarizeServer(server) } : { server: 'not started (nothing has used it yet)' }),
    ...(pair ? { source: pair.source, destination: pair.destination, ...(pair.database ? { database: pair.database } : {}) } : {}),
    };
  });

  return {
    context,
    names,
    clients,
    describe: () => ({
      server: used && currentServer() ? (pair?.database ? { ...currentServer()!, database: pair.database } : currentServer()) : undefined,
      pair: pair ? { source: pair.source, destination: pair.destination, database: pair.database } : undefined,
    }),
    finish(failed, error) {
      for (const sql of [...scoped.values(), ...(testSql ? [testSql] : [])]) void sql.end({ timeout: 1 }).catch(() => {});
      scoped.clear();
      testSql = undefined;
      // Nothing is left to keep on a server that is gone, and the failure must stay one line.
      const keepFor = failed && processOptions().keepOnFailure && !isServerGone() ? processOptions().keepFor : undefined;
      const lines = fresh.finish(keepFor);
      if (pair) {
        const keptAs = releasePair(pair, keepFor);
        if (keepFor) lines.unshift(keptPairLine(keptAs, keepFor));
      }
      for (const line of lines) {
        process.stderr.write(`${line}\n`);
        if (error) error.message += `\n${line}`;
      }
      pair = undefined;
    },
  };
}

