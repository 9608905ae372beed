// Covered by spec/integration/server/providers/embedded-server.spec.ts and spec/integration/server/server-check.spec.ts.
import { execFile, spawn } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { createDebug } from '../../debug.js';
import { ErrorCodes, PgdockError, redactSecrets } from '../../errors.js';
import { isProcessAlive, processArguments, type ServerOptions, readJson } from '../../coordination/index.js';
import type { ServerInfo } from '../server-info.js';
import { serverArgs } from '../postgres-args.js';
import { embeddedRoot, type ServerUser } from './embedded-binaries.js';

const log = createDebug('embedded');
const run = promisify(execFile);

// An embedded server's runtime: its folder under the embedded root (`data/`, `postgres.log`, and
// `owner`, naming the state folder whose record points back), the postmaster serving it, and the
// record (`embedded.json`) in that state folder. The provider (embedded-server.ts) decides when.

/** What `embedded.json` in a server's state folder records: the embedded provider's "labels". */
export interface EmbeddedRecord {
  version: 1;
  key: string;
  project: string;
  /** The folder holding `data/` and `postgres.log`. */
  runtimeDir: string;
  pid: number;
  info: ServerInfo;
  startedAt: string;
  /** The `postgres` arguments beyond pgdock's own (`postgresArgs`), for `pgdock status`; absent in older records. */
  args?: string[];
}

export const RECORD = 'embedded.json';

function isRecord(value: unknown): boolean {
  const v = value as Partial<EmbeddedRecord> | null;
  const args = v?.args;
  return !!v && v.version === 1 && typeof v.runtimeDir === 'string' && typeof v.pid === 'number' && !!v.info &&
    (args === undefined || (Array.isArray(args) && args.every((a) => typeof a === 'string')));
}

export function readRecord(dir: string): EmbeddedRecord | null {
  return readJson<EmbeddedRecord>(join(dir, RECORD), isRecord);
}

/** The postmaster is alive and is the one serving `dataDir` (a recycled pid is not). */
export function postmasterAlive(pid: number, dataDir: string): boolean {
  if (!isProcessAlive(pid)) return false;
  const args = processArguments(pid);
  return args ? args.includes(dataDir) : process.platform !== 'linux'; // no /proc: trust kill(pid, 0)
}

export function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Stops the postmaster serving `runtimeDir/data` (immediate shutdown, then SIGKILL) and deletes the folder (or, with `keepFolder`, only its data). */
export async function destroyRuntime(runtimeDir: string, knownPid?: number, { keepFolder = false } = {}): Promise<void> {
  const dataDir = join(runtimeDir, 'data');
  for (const pid of new Set([knownPid, postmasterPid(dataDir)])) {
    if (!pid || !postmasterAlive(pid, dataDir)) continue;
    log('stopping postmaster %d (%s)', pid, dataDir);
    try {
      process.kill(pid, 'SIGQUIT');
    } catch {
      continue;
    }
    const deadline = Date.now() + 5_000;
    while (postmasterAlive(pid, dataDir) && Date.now() < deadline) await sleep(20);
    if (postmasterAlive(pid, dataDir)) process.kill(pid, 'SIGKILL');
    while (postmasterAlive(pid, dataDir) && Date.now() < deadline + 2_000) await sleep(20);
  }
  if (keepFolder) return rmSync(dataDir, { recursive: true, force: true });
  rmSync(runtimeDir, { recursive: true, force: true });
  try {
    rmdirSync(embeddedRoot()); // only when no other server (or binary copy) is left
  } catch {
    // others remain
  }
}

/** A free TCP port on loopback, as the kernel hands it out. Postgres binding it is retried if taken meanwhile. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export function logTailOf(runtimeDir: string, lines: number): string {
  try {
    const text = readFileSync(join(runtimeDir, 'postgres.log'), 'utf8');
    return redactSecrets(text.trimEnd().split('\n').slice(-lines).join('\n'));
  } catch (err) {
    return `(log unavailable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
}

function giveTo(user: ServerUser, path: string): void {
  if (user.uid !== undefined && user.gid !== undefined) chownSync(path, user.uid, user.gid);
}

/** A fresh cluster: initdb as the server user, superuser `options.user` with a random password. */
export async function initCluster(binaries: { initdb: string }, runtimeDir: string, options: ServerOptions, user: ServerUser, password: string): Promise<void> {
  const dataDir = join(runtimeDir, 'data');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  giveTo(user, dataDir);
  const pwFile = join(runtimeDir, 'initdb-pw');
  writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  giveTo(user, pwFile);
  try {
    await run(binaries.initdb, ['-D', dataDir, '-U', options.user, `--pwfile=${pwFile}`, '-A', 'scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions', '--wal-segsize=1'], {
      uid: user.uid,
      gid: user.gid,
      env: { ...process.env, LC_ALL: 'C' },
    });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new PgdockError(
      ErrorCodes.CONTAINER_FAILED,
      `initdb failed for the embedded Postgres server: ${redactSecrets((e.stderr || e.message).trim())}`,
      'Run again with DEBUG=pgdock:* for details, or choose PGDOCK_PROVIDER=docker.',
      { provider: 'embedded' },
    );
  } finally {
    rmSync(pwFile, { force: true });
  }
}

/** Starts the postmaster detached (its own session): it outlives the worker that started it. */
export async function spawnPostmaster(binaries: { postgres: string }, runtimeDir: string, port: number, options: ServerOptions, user: ServerUser): Promise<number> {
  const logFile = join(runtimeDir, 'postgres.log');
  const fd = openSync(logFile, 'a', 0o600);
  try {
    const args = ['-D', join(runtimeDir, 'data'), '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', ...serverArgs(options.postgresArgs)];
    const child = spawn(binaries.postgres, args, { detached: true, stdio: ['ignore', fd, fd], uid: user.uid, gid: user.gid, env: { ...process.env, LC_ALL: 'C' } });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid ?? 0));
      child.once('error', reject);
    });
    child.unref();
    return pid;
  } finally {
    closeSync(fd);
  }
}

/** The runtime folder whose `postmaster.pid` names `pid` (a killed postmaster leaves it behind), if any. */
export function runtimeDirOf(pid: number): string | undefined {
  return readdirSafe(embeddedRoot())
    .map((n) => join(embeddedRoot(), n))
    .find((d) => existsSync(join(d, 'data')) && postmasterPid(join(d, 'data')) === pid);
}

/** Whether the embedded server `info` describes still runs: its folder is there and its postmaster alive. */
export function embeddedServerAlive(info: Pick<ServerInfo, 'pid'>): { alive: boolean; folder: boolean } {
  const dir = info.pid ? runtimeDirOf(info.pid) : undefined;
  return { alive: !!dir && postmasterAlive(info.pid!, join(dir, 'data')), folder: !!dir };
}

/**
 * The state folders of `project`'s embedded servers, in any state dir: each server's runtime folder
 * names the state folder that owns it (its `owner` file), and that folder's record must name it
 * back. How `pgdock status` finds a run's server without the run's `PGDOCK_STATE_DIR`.
 */
export function ownedStateFolders(project: string): string[] {
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const found: string[] = [];
  for (const name of readdirSafe(embeddedRoot()).filter((n) => n.startsWith('srv-'))) {
    const runtimeDir = join(embeddedRoot(), name);
    try {
      const ownerFile = join(runtimeDir, 'owner');
      if (uid !== undefined && statSync(ownerFile).uid !== uid) continue; // another user's server
      const owner = readFileSync(ownerFile, 'utf8').trim();
      if (!basename(owner).startsWith(`${project}-`) || found.includes(owner)) continue;
      if (readRecord(owner)?.runtimeDir === runtimeDir) found.push(owner);
    } catch {
      // being set up or torn down, or a record pgdock refuses to trust: not listed
    }
  }
  return found;
}

export function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
