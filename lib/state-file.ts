import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createDebug } from './debug.js';
import type { SerializedError } from './errors.js';
import type { ConcreteProvider } from './options.js';
import type { ServerInfo } from './server-info.js';

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
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (isServerState(parsed)) return parsed;
  } catch {
    // fall through: treated like a missing file
  }
  log('ignoring unreadable state file %s', file);
  return null;
}

/** Writes atomically (temp file + rename), readable by the owner only: it holds the password. */
export function writeState(file: string, state: ServerState): void {
  writeJson(file, state);
}

/** Reads a JSON file written by {@link writeJson}; missing, corrupt or not `valid`: `null`. */
export function readJson<T>(file: string, valid: (value: unknown) => boolean): T | null {
  try {
    const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return valid(value) ? (value as T) : null;
  } catch {
    return null;
  }
}

/** Writes JSON atomically (temp file + rename), owner-readable only. */
export function writeJson(file: string, value: unknown): void {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, file);
}

export function clearState(file: string): void {
  rmSync(file, { force: true });
}
