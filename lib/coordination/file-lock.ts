import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDebug } from '../debug.js';
import { ErrorCodes, PgdockError } from '../errors.js';
import { isRecordedProcessAlive, processStartTime } from './process-liveness.js';
import { ensurePrivateDir, readPrivateFile } from './private-dir.js';

const log = createDebug('lock');

/** Who holds a lock: a process, known by its pid and kernel start time (a recycled pid is not it). */
export interface LockOwner {
  pid: number;
  pidStart?: string;
  hostname: string;
  since: string;
}

export interface FileLockOptions {
  /** Give up waiting after this many ms. */
  timeoutMs: number;
}

const OWNER = 'owner.json';

function isOwner(value: unknown): value is LockOwner {
  const v = value as Partial<LockOwner> | null;
  return !!v && Number.isInteger(v.pid) && (v.pid as number) > 0 && typeof v.hostname === 'string' && typeof v.since === 'string' && (v.pidStart === undefined || typeof v.pidStart === 'string');
}

/** This process's start time never changes: read once, not on every poll of a waiting lock. */
let ownStart: string | undefined;

function selfOwner(): LockOwner {
  ownStart ??= processStartTime(process.pid);
  return { pid: process.pid, pidStart: ownStart, hostname: hostname(), since: new Date().toISOString() };
}

/** The lock folder's owner; `null` when it has none that parses (nothing pgdock made: garbage). */
export function readLockOwner(lockDir: string): LockOwner | null | undefined {
  let text: string | undefined | null;
  try {
    text = readPrivateFile(join(lockDir, OWNER));
  } catch {
    return null;
  }
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text ?? '');
    return isOwner(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

/** A holder on this machine that runs (same pid, same start time); another machine's cannot be told, so it is. */
export function isOwnerAlive(owner: LockOwner): boolean {
  return isRecordedProcessAlive(owner, hostname());
}

/**
 * Makes `lockDir` with this process's owner record inside, atomically: the folder is filled under a
 * temporary name and renamed into place, so a lock never exists without its owner.
 */
function tryCreate(lockDir: string): LockOwner | undefined {
  const temp = `${lockDir}.${process.pid}.${randomBytes(4).toString('hex')}.new`;
  mkdirSync(temp, { mode: 0o700 });
  try {
    const owner = selfOwner();
    writeFileSync(join(temp, OWNER), JSON.stringify(owner), { flag: 'wx', mode: 0o600 });
    renameSync(temp, lockDir);
    return owner;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return undefined;
    if (code === 'ENOTDIR') {
      // Something that is not a lock sits at its name: garbage, never a holder.
      rmSync(lockDir, { force: true });
      return undefined;
    }
    throw err;
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/** Moves a lock folder out of the way (atomically) and deletes it. */
function discard(lockDir: string): void {
  const grave = `${lockDir}.${process.pid}.${randomBytes(4).toString('hex')}.old`;
  try {
    renameSync(lockDir, grave);
  } catch {
    return; // already gone
  }
  rmSync(grave, { recursive: true, force: true });
}

function sameOwner(a: LockOwner | null | undefined, b: LockOwner | null | undefined): boolean {
  if (!a || !b) return a === b;
  return a.pid === b.pid && a.pidStart === b.pidStart && a.since === b.since && a.hostname === b.hostname;
}

/**
 * Takes over the lock of a dead (or unknown) holder. A second lock guards the take-over, so two
 * waiters that both saw the same dead holder cannot remove a lock a third process has just taken.
 */
function takeOver(lockDir: string, seen: LockOwner | null): void {
  const guard = `${lockDir}.takeover`;
  const mine = tryCreate(guard);
  if (!mine) {
    const guardOwner = readLockOwner(guard);
    // The guard is held for a few synchronous calls; a dead holder was killed in between.
    if (guardOwner !== undefined && !(guardOwner && isOwnerAlive(guardOwner))) discard(guard);
    return;
  }
  try {
    if (sameOwner(readLockOwner(lockDir), seen)) {
      log('taking over %s from %s', lockDir, seen ? `dead pid ${seen.pid}` : 'no owner');
      discard(lockDir);
    }
  } finally {
    if (sameOwner(readLockOwner(guard), mine)) discard(guard);
  }
}

/**
 * Runs `fn` while holding an exclusive lock on `file` (which need not exist), across processes.
 * The lock is a folder `<file>.lock` naming its holder; it is held as long as that process lives,
 * however long its event loop is blocked, and taken over as soon as a waiter sees it died.
 */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, options: FileLockOptions): Promise<T> {
  const lockDir = `${file}.lock`;
  const deadline = Date.now() + options.timeoutMs;
  let waitedSince: number | undefined;
  let mine: LockOwner | undefined;
  for (;;) {
    try {
      mine = tryCreate(lockDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // The folder went away (the last run cleaned up): make it again and retry at once.
      ensurePrivateDir(dirname(lockDir));
      continue;
    }
    if (mine) break;
    const owner = readLockOwner(lockDir);
    if (owner === undefined) continue; // released between our two looks
    if (!owner || !isOwnerAlive(owner)) {
      takeOver(lockDir, owner);
      continue;
    }
    waitedSince ??= Date.now();
    if (Date.now() >= deadline) {
      throw new PgdockError(
        ErrorCodes.LOCK_TIMEOUT,
        `Timed out after ${options.timeoutMs} ms waiting for the lock ${lockDir} (held by pid ${owner.pid} since ${owner.since}).`,
        'Another pgdock process is still working under this lock (starting the server, or a prepareOnce step). Raise PGDOCK_LOCK_TIMEOUT if that is slow here, or stop that process.',
        { lockPath: lockDir, holderPid: owner.pid },
      );
    }
    await sleep(20 + Math.random() * 30);
  }
  if (waitedSince !== undefined) log('got %s after waiting %d ms', file, Date.now() - waitedSince);
  try {
    return await fn();
  } finally {
    if (sameOwner(readLockOwner(lockDir), mine)) discard(lockDir);
    else log('lock %s was no longer ours at release', lockDir);
  }
}
