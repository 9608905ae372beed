import postgres, { type Sql } from 'postgres';
import { acquireServerSync } from './acquire-sync.js';
import { PgdockError } from './errors.js';
import { connectionUrl, hideSecretsWhenPrinted, redactedUrl, summarizeServer, type ServerInfo, type ServerSummary } from './server-info.js';

/** What a test sees as `this.pg`. */
export interface PgContext {
  /** A postgres.js client on the shared server (one pool per worker process). */
  readonly sql: Sql;
  /** A connection URL with the password, for the code under test. Printing `this.pg` shows it redacted. */
  readonly url: string;
  /** Where the server is; no credentials. */
  readonly server: ServerSummary;
}

/** The part of a Mocha runnable pgdock needs: its timeout, to not count server start-up against a test. */
export interface TimedRunnable {
  timeout(): number;
  timeout(ms: number): unknown;
}

let server: ServerInfo | undefined;
let failure: PgdockError | Error | undefined;
let client: Sql | undefined;

/** The server for this process, acquired on first call (synchronously); a failure is remembered. */
export function processServer(runnable?: TimedRunnable): ServerInfo {
  if (server) return server;
  if (failure) throw failure;
  const started = Date.now();
  try {
    server = acquireServerSync();
  } catch (err) {
    failure = err as Error;
    throw err;
  } finally {
    const spent = Date.now() - started;
    const timeout = runnable?.timeout() ?? 0;
    if (timeout > 0) runnable?.timeout(timeout + spent);
  }
  return server;
}

function processClient(info: ServerInfo): Sql {
  client ??= postgres(connectionUrl(info), { max: 4, onnotice: () => {} });
  return client;
}

/** Builds `this.pg` for a test; nothing starts until one of its properties is read. */
export function createPgContext(runnable?: () => TimedRunnable | undefined): PgContext {
  const info = (): ServerInfo => processServer(runnable?.());
  const context = {} as PgContext;
  Object.defineProperties(context, {
    sql: { enumerable: true, get: () => processClient(info()) },
    url: { enumerable: false, get: () => connectionUrl(info()) },
    server: { enumerable: true, get: () => summarizeServer(info()) },
  });
  return hideSecretsWhenPrinted(context, () =>
    server ? { url: redactedUrl(server), server: summarizeServer(server) } : { server: 'not started (nothing has used it yet)' },
  );
}

/** Closes this process's client so the process can exit; the next use opens a new one. */
export async function closeProcessClient(): Promise<void> {
  const current = client;
  client = undefined;
  await current?.end({ timeout: 1 });
}
