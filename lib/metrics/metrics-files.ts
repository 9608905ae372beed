// Covered by spec/unit/metrics/run-metrics.spec.ts and end to end by spec/e2e/run-metrics.spec.ts.
import { readdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir } from '../coordination/private-dir.js';
import { currentRun } from '../coordination/run-identity.js';
import { readJson, writeJson } from '../coordination/state-file.js';
import { createDebug } from '../debug.js';
import { isHistogram } from './histogram.js';
import { recorder, type ThreadMetrics } from './process-metrics.js';

const log = createDebug('metrics');

/** How often at most a thread rewrites its file while things change: a killed worker loses at most this much. */
const WRITE_EVERY_MS = 500;

/** Where a run's threads write their records: a private folder of the user's state dir, one per run. */
export function runMetricsDir(stateDir: string, runId: string): string {
  return join(stateDir, 'metrics', runId);
}

let target: { dir: string; role: ThreadMetrics['role']; thread: number } | undefined;
let timer: NodeJS.Timeout | undefined;

/**
 * Starts writing this thread's record for the run mocha's main process announced (nothing outside
 * one): now and then while it changes, at {@link flushMetrics} and when the process exits. `thread`
 * is 0 on a process's main thread, else the worker thread's id (pgdock's own threads).
 */
export function recordForRun(stateDir: string, role: ThreadMetrics['role'], thread = 0): void {
  const run = currentRun();
  if (!run.managed || target) return;
  target = { dir: runMetricsDir(stateDir, run.runId), role, thread };
  // A worker thread dies with its process (no exit event): pgdock's threads write soon after each
  // change (their work is in the background anyway); a process's main thread at most twice a second.
  const soon = thread !== 0;
  recorder.onChange = () => {
    timer ??= setTimeout(() => {
      timer = undefined;
      flushMetrics();
    }, soon ? 0 : WRITE_EVERY_MS).unref();
  };
  if (thread === 0) process.once('exit', () => flushMetrics());
  flushMetrics();
}

/** Writes this thread's record if it changed (or `always`). Never throws: metrics must not fail a test. */
export function flushMetrics(always = false): void {
  if (!target || (!recorder.takeChanged() && !always)) return;
  try {
    ensurePrivateDir(join(target.dir, '..'));
    ensurePrivateDir(target.dir);
    const usage = target.thread === 0 ? process.cpuUsage() : undefined;
    const cpu = usage ? { userMs: Math.round(usage.user / 1000), systemMs: Math.round(usage.system / 1000) } : undefined;
    writeJson(join(target.dir, `${process.pid}-${target.thread}.json`), recorder.snapshot(target.role, process.pid, target.thread, cpu));
  } catch (err) {
    log('could not write metrics: %s', (err as Error).message);
  }
}

/** The shape check a record must pass to be merged (anything else in the folder is skipped). */
export function isThreadMetrics(value: unknown): value is ThreadMetrics {
  const v = value as Partial<ThreadMetrics> | null;
  return (
    !!v && v.version === 1 && Number.isInteger(v.pid) && !!v.counts && typeof v.counts === 'object' && !!v.waits && typeof v.waits === 'object' &&
    !!v.samples && isHistogram(v.samples.claimMs) && isHistogram(v.samples.buildMs) && isHistogram(v.samples.templateMs)
  );
}

/** Every record the run's threads wrote. */
export function readRunMetrics(dir: string): ThreadMetrics[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^\d+-\d+\.json$/.test(n));
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    try {
      const record = readJson<ThreadMetrics>(join(dir, name), isThreadMetrics);
      return record ? [record] : [];
    } catch (err) {
      log('skipping %s: %s', name, (err as Error).message);
      return [];
    }
  });
}

/** Removes the run's folder, those of runs that ended without merging theirs a day ago or more, and the `metrics` folder once empty. */
export function removeRunMetrics(dir: string): void {
  stopRecording();
  rmSync(dir, { recursive: true, force: true });
  const parent = join(dir, '..');
  try {
    for (const name of readdirSync(parent)) {
      const old = join(parent, name);
      if (Date.now() - statSync(old).mtimeMs > 24 * 3600_000) rmSync(old, { recursive: true, force: true });
    }
    // The state dir keeps nothing of a run that ended: the folder goes when no other run's is in it,
    // and the state dir too when that was all it held (as the end of the run leaves it otherwise).
    rmdirSync(parent);
    rmdirSync(join(parent, '..'));
  } catch {
    // nothing there, or another run's records are (it removes the folder when it ends)
  }
}

/** Stops writing (the run's folder is being merged or removed). */
export function stopRecording(): void {
  if (timer) clearTimeout(timer);
  timer = undefined;
  target = undefined;
  recorder.onChange = undefined;
}
