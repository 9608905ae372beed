import { createDebug } from '../debug.js';
import { ErrorCodes, PgdockError } from '../errors.js';
import { checkServerGone, type GoneServer } from './server-check.js';
import type { ServerInfo } from './server-info.js';

const log = createDebug('server');

/** Error codes of drivers (node, postgres.js, pg) and SQLSTATEs that mean the connection or server went away. */
const LOST_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH',
  'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT',
  '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006',
]);
const LOST_TEXT =
  /ECONNREFUSED|ECONNRESET|EPIPE|CONNECTION_(?:CLOSED|ENDED|DESTROYED)|CONNECT_TIMEOUT|Connection terminated|terminating connection due to (?:administrator command|unexpected postmaster exit)|server closed the connection unexpectedly|the database system is (?:shutting down|starting up)/i;

/** Whether an error (or its cause, or one of an AggregateError's) looks like a lost connection to Postgres. */
export function isLostConnection(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 3) return false;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (e.code === ErrorCodes.SERVER_GONE) return false;
  if (typeof e.code === 'string' && LOST_CODES.has(e.code)) return true;
  if (typeof e.message === 'string' && LOST_TEXT.test(e.message)) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => isLostConnection(inner, depth + 1))) return true;
  return isLostConnection(e.cause, depth + 1);
}

/** Mocha's timeout: a connection that hangs (a host that stopped answering) fails a test so. */
function isTimeout(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'ERR_MOCHA_TIMEOUT';
}

/** The server this process uses (set when `this.pg` or the worker database first reaches it). */
let server: ServerInfo | undefined;
/** Once known: the one line every later failure says. Never forgotten within the process. */
let gone: { line: string; found: GoneServer } | undefined;
let checking: Promise<void> | undefined;
const named = new WeakSet<object>();

/** Tells this module which server to check when a test loses its connection. */
export function noteServer(info: ServerInfo): void {
  server = info;
}

/** Whether this process knows its server is gone. */
export function isServerGone(): boolean {
  return gone !== undefined;
}

function clock(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 19)} UTC`;
}

function describeGone(found: GoneServer, noticedAt: number): string {
  const when = found.since ? ` at ${clock(found.since)}` : ` (noticed at ${clock(noticedAt)}, when a connection to it failed)`;
  return `[${ErrorCodes.SERVER_GONE}] pgdock's Postgres server is gone: ${found.what}${when}. Hint: ${found.hint}`;
}

/** One line, no stack frames: mocha prints the message and nothing else. */
function toOneLine(err: Error, line: string): void {
  err.message = line;
  err.stack = `PgdockError: ${line}`;
  err.name = 'PgdockError';
  Object.assign(err, { code: ErrorCodes.SERVER_GONE });
  delete (err as { cause?: unknown }).cause;
  delete (err as { errors?: unknown }).errors;
}

/** The error a use of `this.pg` throws once the server is known gone (a fresh one each time: mocha mutates errors). */
export function serverGoneError(): PgdockError | undefined {
  if (!gone) return undefined;
  const err = new PgdockError(ErrorCodes.SERVER_GONE, gone.line, gone.found.hint, gone.found.context);
  toOneLine(err, gone.line);
  return err;
}

/** Throws {@link serverGoneError} when the server is known gone. */
export function throwIfServerGone(): void {
  const err = serverGoneError();
  if (err) throw err;
}

/** Checks the server once (concurrent callers share the check) and remembers it when it is gone. */
async function confirmGone(): Promise<void> {
  if (gone || !server) return;
  const info = server;
  checking ??= (async () => {
    const noticedAt = Date.now();
    try {
      const found = await checkServerGone(info);
      if (!found) return log('a test lost its connection, but the %s server still runs', info.provider);
      gone = { line: describeGone(found, noticedAt), found };
      process.stderr.write(`pgdock: ${gone.line}\n`);
    } catch (err) {
      log('could not check the server: %s', (err as Error).message);
    }
  })().finally(() => {
    checking = undefined;
  });
  await checking;
}

/** The part of a Mocha runnable (test or hook) read here. */
interface RunnableLike {
  state?: string;
  err?: unknown;
}

/** The part of a Mocha suite read here. */
interface SuiteLike {
  tests: RunnableLike[];
  suites: SuiteLike[];
  parent?: SuiteLike;
  _beforeAll: RunnableLike[];
  _beforeEach: RunnableLike[];
  _afterEach: RunnableLike[];
  _afterAll: RunnableLike[];
}

/** The part of Mocha's context (`this` in a root hook) read here. */
interface ContextLike {
  currentTest?: RunnableLike & { parent?: SuiteLike };
  test?: { parent?: SuiteLike };
}

/** What may have failed by the time a root afterEach runs: the test, and the each-hooks of its suites. */
function afterTestCandidates(ctx: ContextLike): RunnableLike[] {
  const test = ctx.currentTest;
  if (!test) return [];
  const out: RunnableLike[] = [test];
  for (let suite = test.parent; suite; suite = suite.parent) out.push(...suite._beforeEach, ...suite._afterEach);
  return out;
}

/** Everything under the root suite: at a root afterAll, failed before/after-all hooks are reachable only so. */
function afterFileCandidates(ctx: ContextLike): RunnableLike[] {
  let root = ctx.test?.parent;
  while (root?.parent) root = root.parent;
  const out: RunnableLike[] = [];
  const walk = (suite: SuiteLike): void => {
    out.push(...suite._beforeAll, ...suite._beforeEach, ...suite.tests, ...suite._afterEach, ...suite._afterAll);
    for (const child of suite.suites) walk(child);
  };
  if (root) walk(root);
  return out;
}

/**
 * For pgdock's root hooks: a failed test or hook whose error looks like a lost connection (or a
 * timeout) triggers one check of the server (only the first time); once it is known gone, each
 * such error is rewritten in place to the one line that names the server, so mocha (serial, or a
 * worker's serialised report in --parallel) prints that line and no stack. Passing tests cost nothing.
 * `after` is `'test'` in a root afterEach, `'file'` in a root afterAll.
 */
export async function nameGoneServer(ctx: object, after: 'test' | 'file'): Promise<void> {
  // Mocha's hook arrays are private in its types: read through a structural view.
  const view = ctx as ContextLike;
  const candidates = after === 'test' ? afterTestCandidates(view) : afterFileCandidates(view);
  const lost = candidates.filter((r) => r.state === 'failed' && r.err instanceof Object && !named.has(r.err) && (isLostConnection(r.err) || isTimeout(r.err)));
  if (lost.length === 0) return;
  await confirmGone();
  if (!gone) return;
  for (const runnable of lost) {
    const err = runnable.err as Error;
    try {
      toOneLine(err, gone.line);
    } catch {
      runnable.err = serverGoneError(); // a frozen error: serial reporters still read test.err
    }
    named.add(runnable.err as object);
  }
}
