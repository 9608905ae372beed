// Covered by spec/unit/debug.spec.ts.
import createDebugLogger from 'debug';
import { format } from 'node:util';
import { redactSecrets } from './errors.js';

/** A namespaced logger enabled by `DEBUG=pgdock:*` (or a list such as `pgdock:lock,pgdock:docker`). */
export type DebugLog = (message: string, ...args: unknown[]) => void;

/** Every line goes to stderr with secrets removed, whatever `debug`'s own output settings say. */
function writeRedacted(...args: unknown[]): void {
  process.stderr.write(`${redactSecrets(format(...args))}\n`);
}

/**
 * Returns a logger for `pgdock:<name>`, built on the `debug` package (the one mocha and dockerode
 * use, so `DEBUG=pgdock:*,mocha:*` works as users expect). Lines carry the process id, which tells
 * a `--parallel` run's workers apart, and are redacted.
 */
export function createDebug(name: string): DebugLog {
  const logger = createDebugLogger(`pgdock:${name}`);
  logger.log = writeRedacted;
  return (message, ...args) => {
    followDebugVariable();
    if (logger.enabled) logger(`[%d] ${message}`, process.pid, ...args);
  };
}

let seen = process.env.DEBUG;

/** `debug` reads DEBUG when it loads; pgdock reads it when it logs, so a later change (a setup file's) counts. */
function followDebugVariable(): void {
  if (process.env.DEBUG === seen) return;
  seen = process.env.DEBUG;
  createDebugLogger.enable(seen ?? '');
}
