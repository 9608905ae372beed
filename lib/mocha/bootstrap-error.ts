// Covered by spec/e2e/failures.spec.ts (a bad option stops the run once, one line, no stack).
import { inspect } from 'node:util';
import { PgdockError } from '../errors.js';

/**
 * An error that reads the same through a worker's serialization (which keeps `message` only) and
 * prints no stack frames: code, message and hint are what the user needs.
 */
export function plainBootstrapError(err: unknown): Error {
  const message = err instanceof PgdockError ? `[${err.code}] ${err.message}` : `pgdock: ${(err as Error)?.message ?? String(err)}`;
  const plain = new Error(message);
  plain.name = 'PgdockError';
  plain.stack = `PgdockError: ${message}`;
  // Mocha prints a failed plugin with console.error: as is, not in util.inspect's brackets.
  Object.defineProperty(plain, inspect.custom, { value: () => plain.stack });
  return plain;
}
