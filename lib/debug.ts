import { format } from 'node:util';
import { redactSecrets } from './errors.js';

/** A namespaced logger enabled by `DEBUG=pgdock:*` (or a list such as `pgdock:lock,pgdock:docker`). */
export type DebugLog = (message: string, ...args: unknown[]) => void;

function matches(pattern: string, namespace: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  return re.test(namespace);
}

function isEnabled(namespace: string): boolean {
  const spec = process.env.DEBUG ?? '';
  let enabled = false;
  for (const part of spec.split(/[\s,]+/).filter(Boolean)) {
    if (part.startsWith('-')) {
      if (matches(part.slice(1), namespace)) return false;
    } else if (matches(part, namespace)) {
      enabled = true;
    }
  }
  return enabled;
}

/** Returns a logger for `pgdock:<name>`; `DEBUG` is read when a message is logged, not at import. */
export function createDebug(name: string): DebugLog {
  const namespace = `pgdock:${name}`;
  return (message, ...args) => {
    if (!isEnabled(namespace)) return;
    process.stderr.write(`${new Date().toISOString()} ${namespace} [${process.pid}] ${redactSecrets(format(message, ...args))}\n`);
  };
}
