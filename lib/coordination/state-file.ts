import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { createDebug } from '../debug.js';
import type { SerializedError } from '../errors.js';
import type { ConcreteProvider } from '../config/options.js';
import { readPrivateFile } from './private-dir.js';
import type { ServerInfo } from '../server/server-info.js';

const log = createDebug('state');

/** A server that answered SQL. A cache of what Docker labels say, not the truth. */
export interface ReadyState {
  version: 1;
  status: 'ready';
  key: string;
  info: ServerInfo;
  readyAt: string;
}

/** The leader's failure, replayed to every other process of the same run. */
export interface FailedState {
  version: 1;
  status: 'failed';
  key: string;
  provider?: ConcreteProvider;
  runId: string;
  error: SerializedError;
  failedAt: string;
}

export type ServerState = ReadyState | FailedState;

function isServerState(value: unknown): value is ServerState {
  const v = value as Partial<ServerState> | null;
  if (!v || v.version !== 1 || typeof v.key !== 'string') return false;
  if (v.status === 'ready') {
    const info = (v as Partial<ReadyState>).info;
    return !!info && typeof info.host === 'string' && typeof info.port === 'number' && typeof info.password === 'string';
  }
  if (v.status === 'failed') {
    const f = v as Partial<FailedState>;
    return typeof f.runId === 'string' && !!f.error && typeof f.error.code === 'string';
  }
  return false;
}

/** Reads the state file; a missing, corrupt or foreign one reads as `null` (it is rebuilt, never a crash). */
export function readState(file: string): ServerState | null {
  return readJson<ServerState>(file, isServerState);
}

/** Writes atomically (temp file + rename), readable by the owner only: it holds the password. */
export function writeState(file: string, state: ServerState): void {
  writeJson(file, state);
}

/**
 * Reads a record written by {@link writeJson}: missing reads as `null`; malformed (not JSON, not
 * `valid`, a folder in its place) is logged, swept and reads as `null`, never a crash and never live.
 * A link or another user's file in its place is refused (`ERR_PGDOCK_UNSAFE_STATE`).
 */
export function readJson<T>(file: string, valid: (value: unknown) => boolean): T | null {
  const text = readPrivateFile(file);
  if (text === undefined) return null;
  try {
    const value: unknown = text === null ? undefined : JSON.parse(text);
    if (text !== null && valid(value)) return value as T;
  } catch {
    // malformed: swept below
  }
  log('sweeping malformed record %s', file);
  rmSync(file, { recursive: true, force: true });
  return null;
}

/** Writes JSON atomically (temp file + rename), owner-readable only. */
export function writeJson(file: string, value: unknown): void {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  // 'wx' creates a new file and never follows a link; rename then replaces whatever had the name.
  writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    if ((err as NodeJS.ErrnoException).code !== 'EISDIR' && (err as NodeJS.ErrnoException).code !== 'ENOTEMPTY') throw err;
    // A folder sits where the record goes: garbage, swept.
    rmSync(file, { recursive: true, force: true });
    writeJson(file, value);
  }
}

export function clearState(file: string): void {
  rmSync(file, { recursive: true, force: true });
}
