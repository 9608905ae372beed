// Covered by spec/integration/sync/schema-pairs.spec.ts and spec/integration/mocha/register.spec.ts.
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { workerParentPid } from './parent-watch.js';
import { waitForFlag } from './sync-wait.js';

/** The thread entries a bridge can start (files beside this one). */
export type ThreadEntry = 'acquire-thread' | 'pool-thread';

/** What every thread entry receives besides its own data (see `thread-answer.ts`). */
export interface BridgeData {
  flag: Int32Array;
  port: MessagePort;
  /** mocha's main process when this is a `--parallel` worker: the thread ends the worker once it is gone. */
  parentPid: number | undefined;
}

/** What {@link SyncBridge.wait} returns when the thread did not answer in time. */
export const TIMED_OUT = Symbol('timed out');

/**
 * The one place a thread of pgdock waits synchronously for another: a worker thread runs async work
 * (starting a server, building pairs) while this thread blocks in `Atomics.wait` until it answers.
 * It lets a test's first touch of `this.pg` hand back a ready server and pair with no `await`.
 */
export class SyncBridge {
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private readonly port: MessagePort;
  readonly worker: Worker;

  constructor(entry: ThreadEntry, data: object) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    const bridge: BridgeData = { flag: this.flag, port: port2, parentPid: workerParentPid() };
    this.worker = new Worker(new URL(`./${entry}${ext}`, import.meta.url), { workerData: { ...data, ...bridge }, transferList: [port2] });
    this.worker.unref();
    this.port.unref();
  }

  /** Sends the thread a request without waiting. */
  post(message: unknown): void {
    this.port.postMessage(message);
  }

  /** Blocks until the thread answers (its message; undefined if it ended without one) or `timeoutMs` pass. */
  wait<T>(timeoutMs: number): T | undefined | typeof TIMED_OUT {
    if (waitForFlag(this.flag, timeoutMs) === 'timed-out') return TIMED_OUT;
    Atomics.store(this.flag, 0, 0);
    return receiveMessageOnPort(this.port)?.message as T | undefined;
  }

  /** Stops listening; with `terminate`, ends the thread too. */
  close(terminate: boolean): void {
    this.port.close();
    if (terminate) void this.worker.terminate();
  }
}
