import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDebug } from './debug.js';
import { ErrorCodes, PgdockError } from './errors.js';

const log = createDebug('lock');

/** A lock whose holder stopped refreshing it for this long (killed, frozen) is taken over. */
export const STALE_LOCK_MS = 5_000;

export interface FileLockOptions {
  /** Give up waiting after this many ms. */
  timeoutMs: number;
  /** A file where the holder writes its pid, so waiters and errors can name it. */
  holderFile?: string;
}

function readHolder(holderFile: string | undefined): string {
  if (!holderFile) return 'unknown';
  try {
    return readFileSync(holderFile, 'utf8').trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Runs `fn` while holding an exclusive lock on `file` (which need not exist), across processes.
 * Waiters poll; a lock left by a killed process is taken over after {@link STALE_LOCK_MS}.
 */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, options: FileLockOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let compromised: Error | undefined;
  let release: (() => Promise<void>) | undefined;
  let waitedSince: number | undefined;
  // Loaded on first use: proper-lockfile installs signal handlers (signal-exit) when it loads.
  const { default: lockfile } = await import('proper-lockfile');
  while (!release) {
    try {
      release = await lockfile.lock(file, {
        realpath: false,
        stale: STALE_LOCK_MS,
        update: 1_000,
        retries: 0,
        onCompromised: (err) => {
          compromised = err;
          log('lock on %s compromised: %s', file, err.message);
        },
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        // The folder went away (the last run cleaned up): make it again and retry at once.
        mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
        continue;
      }
      if (code !== 'ELOCKED') throw err;
      waitedSince ??= Date.now();
      if (Date.now() >= deadline) {
        throw new PgdockError(
          ErrorCodes.LOCK_TIMEOUT,
          `Timed out after ${options.timeoutMs} ms waiting for the lock ${file}.lock (held by pid ${readHolder(options.holderFile)}).`,
          'Another pgdock process is still starting the server. If none is running, delete that .lock folder; raise PGDOCK_LOCK_TIMEOUT if starts are slow here.',
          { lockPath: `${file}.lock` },
        );
      }
      await sleep(20 + Math.random() * 30);
    }
  }
  if (waitedSince !== undefined) log('got %s after waiting %d ms', file, Date.now() - waitedSince);
  if (options.holderFile) writeFileSync(options.holderFile, `${process.pid}\n`);
  try {
    return await fn();
  } finally {
    if (options.holderFile) rmSync(options.holderFile, { force: true });
    try {
      await release();
    } catch (err) {
      // Already taken over by another process: nothing of ours left to release.
      log('release of %s failed%s: %s', file, compromised ? ' (lock was compromised)' : '', (err as Error).message);
    }
  }
}
