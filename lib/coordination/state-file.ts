// Covered by spec/faults/records.spec.ts and spec/integration/server/acquire-server.spec.ts.
import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { createDebug } from '../debug.js';
import { readPrivateFile } from './private-dir.js';

const log = createDebug('state');

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
