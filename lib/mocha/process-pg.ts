// This process's Postgres: its server (handed down by mocha's main process, or acquired on first
// use), its client, and its pools of pairs (its own, built ahead on this thread, and the pool thread).
// Covered by spec/integration/mocha/register.spec.ts, spec/integration/isolation/schema-pool.spec.ts
// and end to end by spec/e2e/shared-server.spec.ts.
import { serverStarted, waited } from '../metrics/process-metrics.js';
import postgres, { type Sql } from 'postgres';
import { acquireServerSync, type FirstPair } from '../sync/acquire-sync.js';
import { resolveOptions, type ResolvedOptions } from '../config/options.js';
import { currentOwner } from '../isolation/marks.js';
import type { SchemaPairNames } from '../isolation/names.js';
import { resolvePairSetup } from '../isolation/setup.js';
import { PairClient, type PairNames } from '../sync/schema-pairs.js';
import { LocalPairs } from './local-pairs.js';
import { mochaMode } from './mocha-mode.js';
import { QueryLog } from './report-context.js';
import { publishRunServer, runServerFromEnv } from './run-server.js';
import { connectionUrl, type ServerInfo } from '../server/server-info.js';
import { isServerGone, noteServer, throwIfServerGone } from '../server/server-gone.js';

/** The part of a Mocha runnable pgdock needs. */
export interface TimedRunnable {
  title?: string;
  /** Set on hooks: the test the hook runs for (its title names the pair). */
  testTitle?: string;
  timeout(): number;
  timeout(ms: number): unknown;
}

let server: ServerInfo | undefined;
let failure: Error | undefined;
let client: Sql | undefined;
let pairs: PairClient | undefined;
let local: LocalPairs | undefined;
let options: ResolvedOptions | undefined;

/** Keeps (on failure) of pairs from this thread's pool still being written. */
const keeping: Promise<void>[] = [];

/**
 * Root afterEach: resolves once every pair kept so far is marked kept, or after `waitMs` (the keep
 * goes on; a hook must not time out for it). Undefined when none is pending.
 */
export function keptPairsWritten(waitMs = 5_000): Promise<void> | undefined {
  if (keeping.length === 0) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)));
  return Promise.race([Promise.all(keeping.splice(0)).then(() => {}), late]).finally(() => clearTimeout(timer));
}

/** The SQL the current test ran through pgdock's clients, for failure reports. */
export const queryLog = new QueryLog();
export const recordQuery = (_connection: unknown, query: string): void => queryLog.record(query);

export function processOptions(): ResolvedOptions {
  options ??= resolveOptions();
  return options;
}

/** The server for this process, acquired on first call (synchronously); a failure is remembered. */
export function processServer(runnable?: TimedRunnable): ServerInfo {
  throwIfServerGone();
  if (server) return server;
  if (failure) throw failure;
  if (handedServer()) return server!;
  acquireNow(runnable);
  return server!;
}

/**
 * Acquires the server on the start-up thread, waiting here; with `first`, the thread builds that
 * pair too once the server answers. Returns whether it did. A failure is remembered for every later test.
 */
export function acquireNow(runnable: TimedRunnable | undefined, first?: FirstPair): boolean {
  const started = Date.now();
  try {
    const acquired = acquireServerSync({}, first);
    server = acquired.info;
    noteServer(server);
    return acquired.pairBuilt;
  } catch (err) {
    failure = err as Error;
    throw err;
  } finally {
    extendTimeout(runnable, Date.now() - started);
    waited('serverMs', Date.now() - started);
  }
}

/** A warm start: the server mocha's main process attached to before this worker forked, once taken as this process's. */
export function handedServer(): ServerInfo | undefined {
  if (server) return server;
  const handed = runServerFromEnv();
  if (handed) {
    server = handed;
    noteServer(server);
  }
  return handed;
}

/** Waiting for pgdock is not the test's time: give it back to the test's timeout. */
export function extendTimeout(runnable: TimedRunnable | undefined, spentMs: number): void {
  const timeout = runnable?.timeout() ?? 0;
  if (timeout > 0 && spentMs > 0) runnable?.timeout(timeout + spentMs);
}

export function processClient(info: ServerInfo): Sql {
  client ??= postgres(connectionUrl(info), { max: 4, onnotice: () => {}, debug: recordQuery });
  return client;
}

export function processPairs(info: ServerInfo): PairClient {
  if (!pairs) {
    const opts = processOptions();
    pairs = new PairClient({
      isolation: opts.isolation,
      server: info,
      setup: resolvePairSetup(opts),
      owner: currentOwner(),
      size: opts.poolSize,
    });
  }
  return pairs;
}

/**
 * In mocha's main process, before workers fork: attach to the project's server if one is already
 * running (a lock and one round trip, once per run), so no worker starts a thread or takes a lock
 * to find it. Starts nothing: with no server running, the first test to use `this.pg` starts one.
 */
export async function attachWarm(): Promise<void> {
  if (server || isServerGone()) return;
  let opts: ResolvedOptions;
  try {
    opts = processOptions();
  } catch {
    return; // reported where the options are first used, as before
  }
  const { attachWarmServer } = await import('../server/acquire-server.js');
  const { currentRun } = await import('../coordination/run-identity.js');
  const found = await attachWarmServer(opts, currentRun(), serverStarted);
  if (!found) return;
  server = found;
  noteServer(server);
  // Only workers need it handed down: a serial run's process has it, and what its tests spawn should not inherit a password.
  if (mochaMode().role === 'parallel-main') publishRunServer(server);
}

/**
 * Root hooks, before a file's hooks and before each test: with the server known and schema
 * isolation, this thread's own pool has a pair ready, so the test's first `this.pg.source` takes it
 * with no round trip and no thread. Undefined when nothing needs waiting for. Never rejects: a pair
 * that cannot be built is reported by the test that asks for one.
 */
export function readyLocalPair(waitMs = Infinity): Promise<void> | undefined {
  const known = handedServer();
  if (!known || isServerGone()) return undefined;
  let opts: ResolvedOptions;
  try {
    opts = processOptions();
  } catch {
    return undefined;
  }
  return ownPairs(known, opts)?.ready(waitMs);
}

/** This process's own pool, made on first need once the server is known (schema isolation, `poolSize` ≥ 1). */
export function ownPairs(known: ServerInfo, opts: ResolvedOptions): LocalPairs | undefined {
  // A suite on worker databases reads DATABASE_URL / PG*: it may never read this.pg, and pays for no pairs ahead.
  if (opts.isolation !== 'schema' || opts.poolSize < 1 || opts.workerDatabase) return undefined;
  local ??= new LocalPairs(known, resolvePairSetup(opts), currentOwner(), opts.poolSize);
  return local;
}

/** The server this process knows (acquired, or handed down by mocha's main process), if any. */
export function currentServer(): ServerInfo | undefined {
  return server;
}

/** Whether acquiring the server failed in this process (every later test gets the same error). */
export function startFailed(): boolean {
  return failure !== undefined;
}

/** The next pair this process's own pool has ready, without waiting (undefined when none is). */
export function takeLocalPair(): SchemaPairNames | undefined {
  return local?.take();
}

/** Releases a pair the pool thread handed out (dropped or kept there). */
export function releaseThreadPair(names: PairNames, keepFor?: number, keepAs?: PairNames): void {
  pairs?.release(names, keepFor, keepAs);
}

/** Releases a pair of this process's own pool; a kept one is waited for by the root afterEach ({@link keptPairsWritten}). */
export function releaseLocalPair(names: SchemaPairNames, keepFor?: number, keepAs?: SchemaPairNames): void {
  const releasing = (server ? ownPairs(server, processOptions()) : undefined)?.release(names, keepFor, keepAs);
  // A worker mocha ends next must not lose a kept pair to the run's sweep.
  if (keepFor && releasing) keeping.push(releasing);
}

/**
 * At the end of a file: closes this process's client so the process can exit (the next use opens a
 * new one). A `--parallel` worker keeps it for its next file: mocha ends workers itself.
 */
export async function closeProcessClient(): Promise<void> {
  if (mochaMode().role === 'worker') return;
  const current = client;
  client = undefined;
  await current?.end({ timeout: 1 });
}

/** Drops this process's prepared pairs and stops its pool thread (mocha's main process, serial runs). */
export async function closeProcessPairs(): Promise<void> {
  const current = pairs;
  const own = local;
  pairs = undefined;
  local = undefined;
  current?.close();
  // A build in flight on a server that vanished would wait out its connect timeout.
  await own?.close(isServerGone());
}
