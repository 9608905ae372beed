// Covered by spec/faults/planted-state.spec.ts (folders and files planted by another user).
import { accessSync, chmodSync, closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { ErrorCodes, PgdockError } from '../errors.js';

/** This process's uid, or undefined where there are no uids (Windows): ownership is not checked there. */
export function currentUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

/** What is wrong with a folder or file pgdock keeps state in, or undefined when it is safe to trust. */
export function unsafeReason(stat: Stats, kind: 'folder' | 'file'): string | undefined {
  const uid = currentUid();
  if (stat.isSymbolicLink()) return 'it is a symbolic link';
  if (kind === 'folder' ? !stat.isDirectory() : !stat.isFile()) return `it is not a ${kind}`;
  if (uid !== undefined && stat.uid !== uid) return `it belongs to uid ${stat.uid}, not to this user (uid ${uid})`;
  if ((stat.mode & 0o022) !== 0) return `others may write to it (mode ${(stat.mode & 0o777).toString(8)})`;
  return undefined;
}

export function unsafeState(path: string, reason: string): PgdockError {
  return new PgdockError(
    ErrorCodes.UNSAFE_STATE,
    `pgdock refuses to use ${path}: ${reason}. Another local user could plant state or programs there.`,
    'Remove it if it is not yours (or ask an administrator to), or point PGDOCK_STATE_DIR at a folder only you can write.',
    { path },
  );
}

/**
 * Makes `dir` (mode `mode`, 0700 by default) or checks the one that is there: it must be a real
 * folder (not a link), owned by this user, and writable by nobody else. Anything else is refused
 * with `ERR_PGDOCK_UNSAFE_STATE`: `/tmp` belongs to every local user.
 */
export function ensurePrivateDir(dir: string, mode = 0o700): void {
  let stat: Stats;
  try {
    stat = lstatSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    checkAncestors(dir); // before anything is made there
    mkdirSync(dir, { recursive: true, mode });
    // mkdir's mode passes through the umask; the folder must be exactly this.
    chmodSync(dir, mode);
    stat = lstatSync(dir);
  }
  if (!stat.isDirectory() && !stat.isSymbolicLink()) {
    // A file in its place is a mistake, not an attack: callers say the folder cannot be written.
    throw Object.assign(new Error(`${dir} is not a folder`), { code: 'ENOTDIR' });
  }
  const reason = unsafeReason(stat, 'folder');
  if (reason) throw unsafeState(dir, reason);
  checkAncestors(dir);
}

/**
 * Whoever may rename entries in a folder above `dir` can swap `dir` for one of their own: every
 * ancestor must belong to this user or root, and one that others may write must be sticky (`/tmp`).
 */
function checkAncestors(dir: string): void {
  const uid = currentUid();
  if (uid === undefined) return;
  for (let parent = dirname(dir); ; parent = dirname(parent)) {
    let stat: Stats;
    try {
      stat = statSync(parent);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      if (dirname(parent) === parent) return;
      continue; // made by this user in a moment
    }
    if (stat.uid !== uid && stat.uid !== 0) throw unsafeState(dir, `the folder above it, ${parent}, belongs to uid ${stat.uid}`);
    if ((stat.mode & 0o002) !== 0 && (stat.mode & 0o1000) === 0) throw unsafeState(dir, `anyone may rename entries in the folder above it, ${parent} (mode ${(stat.mode & 0o7777).toString(8)})`);
    if (dirname(parent) === parent) return;
  }
}

/**
 * Reads a file in a private folder without following a link at its name. A link, another user's
 * file or one others may write is refused (someone planted it); a missing file reads as
 * `undefined`, and something that is not a regular file (a folder in its place) as `null`.
 */
export function readPrivateFile(file: string): string | undefined | null {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'ELOOP') throw unsafeState(file, 'it is a symbolic link');
    throw err;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return null;
    const reason = unsafeReason(stat, 'file');
    if (reason) throw unsafeState(file, reason);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * {@link ensurePrivateDir} for a folder in the state dir: a refused folder stays
 * `ERR_PGDOCK_UNSAFE_STATE`; one that cannot be made or written says so plainly.
 */
export function ensureStateDir(dir: string, options: { stateDir: string }): void {
  try {
    ensurePrivateDir(dir);
    accessSync(dir, constants.W_OK);
  } catch (err) {
    if (err instanceof PgdockError) throw err;
    throw new PgdockError(
      ErrorCodes.STATE_DIR_NOT_WRITABLE,
      `pgdock cannot write its state dir ${options.stateDir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
      'Point PGDOCK_STATE_DIR at a folder this user can write.',
      { stateDir: options.stateDir },
    );
  }
}
