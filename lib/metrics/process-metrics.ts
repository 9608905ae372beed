// Covered by spec/unit/metrics/run-metrics.spec.ts and end to end by spec/e2e/run-metrics.spec.ts.
/**
 * What one thread of a process that used pgdock did: counters, waits and samples, kept in memory
 * (a number added or pushed: nothing that shows in a claim) and written now and then to a file of
 * the run's ({@link flushMetrics}), which mocha's main process merges at the end of the run.
 */

/** The counters pgdock keeps: pairs and databases made, claimed, kept, dropped; tests' files ended. */
export const COUNTERS = ['pairsMade', 'pairsClaimed', 'pairsKept', 'pairsDropped', 'databasesMade', 'databasesClaimed', 'databasesKept', 'files'] as const;
export type Counter = (typeof COUNTERS)[number];

/** What a test process waited for pgdock, in ms: its server, its pairs, its worker database. */
export const WAITS = ['serverMs', 'pairsMs', 'databasesMs'] as const;
export type Wait = (typeof WAITS)[number];

/** Durations kept one by one (ms): a claim as the test saw it; a pair's (or database's) build with its setup; a template's build. */
export const SAMPLES = ['claimMs', 'buildMs', 'templateMs'] as const;
export type Sample = (typeof SAMPLES)[number];

/** How this run got its server, said by the process that got it. */
export interface ServerStart {
  provider: string;
  /** `cold`: this process started it (or adopted a container left by an earlier run); `warm`: it was running and answered. */
  start: 'cold' | 'warm';
  /** From asking to a server that answers SQL, as this process waited for it. */
  readyMs: number;
}

/** One thread's record, as written to its file. */
export interface ThreadMetrics {
  version: 1;
  pid: number;
  thread: number;
  /** `main`: mocha's main process of a `--parallel` run; `worker`: one of its workers; `serial`: a run's only process; `thread`: one of pgdock's own threads. */
  role: 'main' | 'worker' | 'serial' | 'thread';
  server?: ServerStart;
  counts: Record<Counter, number>;
  waits: Record<Wait, number>;
  samples: Record<Sample, number[]>;
  /** CPU time of the whole process (main thread's record only), ms. */
  cpu?: { userMs: number; systemMs: number };
  /** Claimed pairs not yet released when this was written (a test that never ended holds one). */
  open: number;
}

function zeroes<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

function empty(): Omit<ThreadMetrics, 'pid' | 'thread' | 'role' | 'version'> {
  return { counts: zeroes(COUNTERS), waits: zeroes(WAITS), samples: { claimMs: [], buildMs: [], templateMs: [] }, open: 0 };
}

let current = empty();
let changed = false;
let listener: (() => void) | undefined;

function touch(): void {
  changed = true;
  listener?.();
}

/** Adds to a counter. */
export function count(counter: Counter, by = 1): void {
  current.counts[counter] += by;
  touch();
}

/** Adds a wait (ms). */
export function waited(wait: Wait, ms: number): void {
  if (ms <= 0) return;
  current.waits[wait] += ms;
  touch();
}

/** Keeps one duration (ms). */
export function sample(kind: Sample, ms: number): void {
  current.samples[kind].push(ms);
  touch();
}

/** A test claimed a pair (counted open until released) in `ms`. */
export function claimed(ms: number): void {
  current.counts.pairsClaimed++;
  current.open++;
  sample('claimMs', ms);
}

/** A test's pair went back: dropped, or kept on failure. */
export function released(kept: boolean): void {
  current.open = Math.max(0, current.open - 1);
  count(kept ? 'pairsKept' : 'pairsDropped');
}

/** Says how this process got its server (the first word wins: later attaches change nothing). */
export function serverStarted(start: ServerStart): void {
  current.server ??= start;
  touch();
}

/** Whether anything was recorded since the last {@link takeChanged}. */
export function takeChanged(): boolean {
  const was = changed;
  changed = false;
  return was;
}

/** Called (synchronously) on every change: how the file writer schedules a write. */
export function onChange(next: (() => void) | undefined): void {
  listener = next;
}

/** This thread's record so far. */
export function snapshot(role: ThreadMetrics['role'], pid: number, thread: number, cpu?: ThreadMetrics['cpu']): ThreadMetrics {
  return { version: 1, pid, thread, role, ...structuredClone(current), ...(cpu ? { cpu } : {}) };
}

/** Forgets everything (specs; a process reused for a second run). */
export function resetMetrics(): void {
  current = empty();
  changed = false;
}
