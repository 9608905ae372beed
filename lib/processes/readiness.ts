// Covered by spec/integration/processes/readiness.spec.ts (each kind, ready and never ready).
import type { OutputTail } from './output-tail.js';

/** When a started process counts as ready. */
export type ReadyCheck =
  /** A line of its output (stdout or stderr, as printed) matches; an unfinished last line (a prompt) once quiet for 100 ms. */
  | { log: RegExp | string }
  /** A TCP connection to `host` (default 127.0.0.1) and `port` succeeds. */
  | { port: number; host?: string }
  /** An HTTP(S) GET answers 2xx or 3xx (4xx and 5xx are not ready: a health check that fails). */
  | { url: string }
  /** Polled until it resolves true (a throw counts as not yet). */
  | { check: () => boolean | Promise<boolean> };

/** How often port, url and check are tried. */
const POLL_MS = 100;
/** One attempt at a port or URL waits at most this long. */
const ATTEMPT_MS = 1_000;

export interface ReadyWait {
  /** Resolves with the readiness result (the log match, or true) once ready. */
  ready: Promise<RegExpMatchArray | true>;
  /** What the last failed attempt said, for the timeout's message. */
  lastProblem(): string | undefined;
  /** Stops polling (ready, timed out or exited). */
  cancel(): void;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function tryPort(port: number, host: string): Promise<string | undefined> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (problem: string | undefined): void => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(ATTEMPT_MS, () => done(`connecting to ${host}:${port} timed out`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (err: NodeJS.ErrnoException) => done(`connecting to ${host}:${port}: ${err.code ?? err.message}`));
  });
}

async function tryUrl(url: URL): Promise<string | undefined> {
  const { request } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', timeout: ATTEMPT_MS }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(status >= 200 && status < 400 ? undefined : `GET ${url.origin}${url.pathname} answered ${status}`);
    });
    req.once('timeout', () => req.destroy(new Error('no answer within 1 s')));
    req.once('error', (err: NodeJS.ErrnoException) => resolve(`GET ${url.origin}${url.pathname}: ${err.code ?? err.message}`));
    req.end();
  });
}

/** Polls `attempt` (undefined: ready; a string: why not yet) until it succeeds or the wait is cancelled. */
function poll(attempt: () => Promise<string | undefined>): ReadyWait {
  let cancelled = false;
  let problem: string | undefined;
  const ready = (async (): Promise<true> => {
    for (;;) {
      problem = await attempt();
      if (problem === undefined) return true;
      if (cancelled) return new Promise<true>(() => {});
      await sleep(POLL_MS);
      if (cancelled) return new Promise<true>(() => {});
    }
  })();
  return { ready, lastProblem: () => problem, cancel: () => (cancelled = true) };
}

async function runCheck(check: () => boolean | Promise<boolean>): Promise<string | undefined> {
  try {
    return (await check()) === true ? undefined : 'the check returned false';
  } catch (err) {
    return `the check threw: ${(err as Error)?.message ?? String(err)}`;
  }
}

/**
 * Starts waiting for `check` on a process whose output is `tail`. A log pattern is matched against
 * lines as printed (a secret hidden first could hide what it waits for); `redact` hides secrets in
 * the problems it reports.
 */
export function waitReady(check: ReadyCheck | undefined, tail: OutputTail, redact: (text: string) => string): ReadyWait {
  if (!check) return { ready: Promise.resolve(true), lastProblem: () => undefined, cancel: () => {} };
  if ('log' in check) {
    const pattern = check.log as RegExp;
    let stop = (): void => {};
    const ready = new Promise<RegExpMatchArray>((resolve) => {
      stop = tail.watch((line) => {
        const match = line.match(pattern);
        if (match) resolve(match);
        return match !== null;
      });
    });
    return { ready, lastProblem: () => redact(`no output line matched ${String(pattern)}`), cancel: () => stop() };
  }
  let wait: ReadyWait;
  if ('port' in check) wait = poll(() => tryPort(check.port, check.host ?? '127.0.0.1'));
  else if ('url' in check) wait = poll(() => tryUrl(new URL(check.url)));
  else wait = poll(() => runCheck(check.check));
  return { ...wait, lastProblem: () => {
    const problem = wait.lastProblem();
    return problem === undefined ? undefined : redact(problem);
  } };
}
