// Covered by spec/unit/metrics/run-metrics.spec.ts and end to end by spec/e2e/run-metrics.spec.ts.
import { addTo, emptyHistogram, type Histogram } from './histogram.js';

/**
 * What one thread of a process that used pgdock did: counters, waits and durations, kept in memory
 * (a number added: nothing that shows in a claim) and written now and then to a file of the run's
 * (metrics-files.ts), which mocha's main process merges at the end of the run.
 */

/** The counters pgdock keeps. `pairsUnused`: built ahead and dropped by pgdock unclaimed (a pool's close); `files`: spec files ended. */
export const COUNTERS = [
  'pairsMade', 'pairsClaimed', 'pairsKept', 'pairsDropped', 'pairsUnused', 'databasesMade', 'databasesClaimed', 'databasesKept', 'databasesDropped', 'files',
] as const;
export type Counter = (typeof COUNTERS)[number];

/** What a test process waited for pgdock, in ms: its server, its pairs (or test databases), its worker database. */
export const WAITS = ['serverMs', 'pairsMs', 'databasesMs'] as const;
export type Wait = (typeof WAITS)[number];

/** Durations: a claim as the test saw it (server and pool thread start-up excluded); a pair's (or database's) build with its setup; a template's build. */
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
  samples: Record<Sample, Histogram>;
  /** CPU time of the whole process (main thread's record only), ms. */
  cpu?: { userMs: number; systemMs: number };
  /** Pairs (or test databases) claimed by tests and not yet released when this was written: a test that never ended holds one. */
  open: number;
}

function zeroes<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

/** One thread's figures. The module's functions record into this thread's one recorder; specs make their own. */
export class MetricsRecorder {
  private counts = zeroes(COUNTERS);
  private waits = zeroes(WAITS);
  private samples: Record<Sample, Histogram> = { claimMs: emptyHistogram(), buildMs: emptyHistogram(), templateMs: emptyHistogram() };
  /** Durations not yet in their histogram: folded in when the record is read, so a claim only appends a number. */
  private pending: Record<Sample, number[]> = { claimMs: [], buildMs: [], templateMs: [] };
  private open = 0;
  private started: ServerStart | undefined;
  private changed = false;
  /** Called (synchronously) on every change: how the file writer schedules a write. */
  onChange: (() => void) | undefined;

  private touch(): void {
    this.changed = true;
    this.onChange?.();
  }

  count(counter: Counter, by = 1): void {
    this.counts[counter] += by;
    this.touch();
  }

  waited(wait: Wait, ms: number): void {
    if (ms <= 0) return;
    this.waits[wait] += ms;
    this.touch();
  }

  sample(kind: Sample, ms: number): void {
    const pending = this.pending[kind];
    pending.push(ms);
    if (pending.length >= 4096) this.fold(kind);
    this.touch();
  }

  private fold(kind: Sample): void {
    for (const ms of this.pending[kind]) addTo(this.samples[kind], ms);
    this.pending[kind] = [];
  }

  /** A test claimed a pair (or, in database isolation, a test database), counted open until released, in `ms`. */
  claimed(ms: number, kind: 'pair' | 'database' = 'pair'): void {
    this.counts[kind === 'pair' ? 'pairsClaimed' : 'databasesClaimed']++;
    this.open++;
    this.sample('claimMs', ms);
  }

  /** A test's pair (or test database) went back: dropped, or kept on failure. */
  released(kept: boolean, kind: 'pair' | 'database' = 'pair'): void {
    this.open = Math.max(0, this.open - 1);
    if (kind === 'pair') this.count(kept ? 'pairsKept' : 'pairsDropped');
    else this.count(kept ? 'databasesKept' : 'databasesDropped');
  }

  /** Says how this process got its server (the first word wins: later attaches change nothing). */
  serverStarted(start: ServerStart): void {
    this.started ??= start;
    this.touch();
  }

  get server(): ServerStart | undefined {
    return this.started;
  }

  /** Whether anything was recorded since the last call. */
  takeChanged(): boolean {
    const was = this.changed;
    this.changed = false;
    return was;
  }

  snapshot(role: ThreadMetrics['role'], pid: number, thread: number, cpu?: ThreadMetrics['cpu']): ThreadMetrics {
    for (const kind of SAMPLES) this.fold(kind);
    return {
      version: 1, pid, thread, role,
      ...(this.started ? { server: { ...this.started } } : {}),
      counts: { ...this.counts },
      waits: { ...this.waits },
      samples: structuredClone(this.samples),
      open: this.open,
      ...(cpu ? { cpu } : {}),
    };
  }
}

/** This thread's recorder. */
export const recorder = new MetricsRecorder();

export const count = (counter: Counter, by = 1): void => recorder.count(counter, by);
export const waited = (wait: Wait, ms: number): void => recorder.waited(wait, ms);
export const sample = (kind: Sample, ms: number): void => recorder.sample(kind, ms);
export const claimed = (ms: number, kind: 'pair' | 'database' = 'pair'): void => recorder.claimed(ms, kind);
export const released = (kept: boolean, kind: 'pair' | 'database' = 'pair'): void => recorder.released(kept, kind);
export const serverStarted = (start: ServerStart): void => recorder.serverStarted(start);
