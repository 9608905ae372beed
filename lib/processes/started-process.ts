// Covered by spec/integration/processes/stop.spec.ts and spec/integration/processes/readiness.spec.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { ErrorCodes, PgdockError } from '../errors.js';
import { guardProcess, unguardProcess } from './exit-guard.js';
import { describeTail, OutputTail, plainPattern } from './output-tail.js';
import { ProcessGroup } from './process-group.js';
import type { ResolvedProcessOptions } from './process-options.js';
import { forgetGroup, watchGroup } from './reaper-client.js';
import { createRedactor, secretValues } from './secrets.js';

/** How a started process ended. */
export interface ProcessExit {
  /** Its exit code, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** "exit code 1" or "signal SIGKILL". */
export function describeExit(exit: ProcessExit): string {
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}

/**
 * One running process of the system under test, the leader of its own process group: every signal
 * pgdock sends goes to the whole group, and only while that group is still the one started
 * ({@link ProcessGroup}). Its output is shown redacted ({@link OutputTail}).
 */
export class StartedChild {
  readonly name: string;
  readonly stopGrace: number;
  readonly tailLines: OutputTail;
  readonly redact: (text: string) => string;
  readonly exited: Promise<ProcessExit>;
  /** Resolves once stdout and stderr are closed too (or shortly after the exit, if a grandchild holds them). */
  readonly drained: Promise<void>;
  private readonly child: ChildProcess;
  /** Recorded at spawn; undefined when it could not be started. */
  private readonly group: ProcessGroup | undefined;
  private exit: ProcessExit | undefined;
  private groupGone = false;
  private stopping: Promise<ProcessExit> | undefined;
  private onStopped: (() => void) | undefined;

  constructor(options: ResolvedProcessOptions) {
    this.name = options.name;
    this.stopGrace = options.stopGrace;
    this.redact = createRedactor(secretValues(options.env));
    this.tailLines = new OutputTail(this.redact);
    this.child = spawn(options.command, options.args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    // Its start time, read before anything can reap it: what tells our group from a later one with its number.
    this.group = this.child.pid === undefined ? undefined : new ProcessGroup(this.child.pid);
    let closed = (): void => {};
    const streamsClosed = new Promise<void>((resolve) => (closed = resolve));
    this.exited = new Promise<ProcessExit>((resolve) => {
      this.child.once('error', (err: NodeJS.ErrnoException) => {
        if (this.child.pid !== undefined) return; // a failed kill or write: the 'exit' event still comes
        this.tailLines.write('stderr', `pgdock: cannot start ${options.command}: ${err.code ?? err.message}\n`);
        this.exit = { code: null, signal: null };
        closed();
        resolve(this.exit);
      });
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        // The leader is reaped; an empty group is never signalled again (its number may be reused).
        if (this.group && !this.group.alive()) this.markGroupGone();
        resolve(this.exit);
      });
      this.child.once('close', () => closed());
    });
    this.drained = Promise.race([streamsClosed, this.exited.then(() => new Promise<void>((r) => setTimeout(r, 250).unref()))]);
    for (const stream of ['stdout', 'stderr'] as const) {
      const readable = this.child[stream];
      readable?.setEncoding('utf8');
      readable?.on('data', (chunk: string) => this.tailLines.write(stream, chunk));
      readable?.on('end', () => this.tailLines.end(stream));
    }
    if (this.group) {
      watchGroup(this.group.pgid, this.group.startTime, this.stopGrace);
      guardProcess(this);
    }
  }

  /** Its pid, which is also its process group's id (0 when it could not be started). */
  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Whether it has exited (its group may still hold processes it started). */
  get hasExited(): boolean {
    return this.exit !== undefined;
  }

  /** Called once, when it has been stopped through {@link stop} (leaves its scope). */
  whenStopped(callback: () => void): void {
    this.onStopped = callback;
  }

  output(): string {
    return this.tailLines.text();
  }

  tail(count: number): string {
    return this.tailLines.text(count);
  }

  /** Sends `signal` to the whole group (nothing once the group is gone, or its number names another group). */
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (!this.groupGone) this.group?.signal(signal);
  }

  /** SIGTERM to the group, SIGKILL after the grace; resolves with the exit once all of it is gone. Idempotent. */
  stop(): Promise<ProcessExit> {
    this.stopping ??= (async () => {
      if (this.group && !this.groupGone) await this.group.stop(this.stopGrace, this.exited);
      const exit = await this.exited;
      await this.drained;
      this.markGroupGone();
      this.onStopped?.();
      return exit;
    })();
    return this.stopping;
  }

  /** Resolves with the match once a line (already printed or later) matches; rejects with the tail on timeout or exit. */
  waitForOutput(pattern: RegExp | string, timeout = 10_000): Promise<RegExpMatchArray> {
    const regex = plainPattern(pattern);
    return new Promise<RegExpMatchArray>((resolve, reject) => {
      let settled = false;
      let unwatch = (): void => {};
      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        unwatch();
        fn();
      };
      const timer = setTimeout(() => finish(() => reject(this.notReady(`printed no line matching ${String(regex)} within ${timeout} ms`, timeout))), timeout);
      // Lines as printed (the test passed the env itself); what pgdock shows is redacted.
      unwatch = this.tailLines.watch((line) => {
        const match = line.match(regex);
        if (match) finish(() => resolve(match));
        return match !== null;
      });
      void this.exited.then(async (exit) => {
        await this.drained;
        finish(() => reject(this.exitedError(`exited (${describeExit(exit)}) before it printed a line matching ${String(regex)}`, exit)));
      });
    });
  }

  exitedError(what: string, exit: ProcessExit): PgdockError {
    return new PgdockError(
      ErrorCodes.PROCESS_EXITED,
      `pgdock: process ${this.name} ${this.redact(what)}; ${describeTail(this.tailLines)}`,
      'Its output above says why it stopped: run the command by hand with the same env, cwd and args to see it fail.',
      { process: this.name, pid: this.pid, code: exit.code ?? undefined, signal: exit.signal ?? undefined },
    );
  }

  notReady(what: string, timeout: number): PgdockError {
    return new PgdockError(
      ErrorCodes.PROCESS_NOT_READY,
      `pgdock: process ${this.name} ${this.redact(what)}; ${describeTail(this.tailLines)}`,
      'Check that the ready condition matches what the process prints or serves, or raise `timeout` (the readiness wait does not count against the test\'s timeout).',
      { process: this.name, pid: this.pid, timeout },
    );
  }

  private markGroupGone(): void {
    if (this.groupGone) return;
    this.groupGone = true;
    if (this.group) forgetGroup(this.group.pgid);
    unguardProcess(this);
  }
}
