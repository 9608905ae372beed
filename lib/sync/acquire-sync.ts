import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { ErrorCodes, PgdockError, printable, type SerializedError } from '../errors.js';
import type { PgdockOptions } from '../config/options.js';
import type { ServerInfo } from '../server/server-info.js';
import { workerParentPid } from './parent-watch.js';
import { waitForFlag } from './sync-wait.js';

const SYNC_ACQUIRE_CAP_MS = 15 * 60_000;

type ThreadResult = { ok: true; info: ServerInfo } | { ok: false; error: SerializedError; pgdock: boolean };

/**
 * {@link acquireServerFor} made synchronous: a worker thread runs the protocol while this thread
 * waits. It lets a test's first touch of `this.pg` hand back a ready server with no `await`.
 */
export function acquireServerSync(input: PgdockOptions = {}): ServerInfo {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const worker = new Worker(new URL(`./acquire-thread${ext}`, import.meta.url), {
    workerData: { input, flag, port: port2, parentPid: workerParentPid() },
    transferList: [port2],
  });
  worker.unref();
  // The thread answers on every path (its imports are inside its try); the cap is a last resort.
  waitForFlag(flag, SYNC_ACQUIRE_CAP_MS);
  const message = receiveMessageOnPort(port1)?.message as ThreadResult | undefined;
  port1.close();
  if (!message) {
    throw new PgdockError(ErrorCodes.CONTAINER_FAILED, 'pgdock\'s start-up thread ended without an answer.', 'Run again with DEBUG=pgdock:* to see what it did.');
  }
  if (message.ok) return message.info;
  if (message.pgdock) throw printable(PgdockError.fromJSON(message.error));
  throw new PgdockError(ErrorCodes.CONTAINER_FAILED, `Starting the Postgres server failed: ${message.error.message}`, 'Run again with DEBUG=pgdock:* for details.');
}
