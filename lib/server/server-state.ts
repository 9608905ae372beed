import type { SerializedError } from '../errors.js';
import type { ConcreteProvider } from '../config/options.js';
import { readJson, writeJson } from '../coordination/state-file.js';
import type { ServerInfo } from './server-info.js';

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

/** Writes atomically (temp file + rename, {@link writeJson}), readable by the owner only: it holds the password. */
export function writeState(file: string, state: ServerState): void {
  writeJson(file, state);
}
