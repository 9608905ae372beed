import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { ConcreteProvider, ResolvedOptions } from '../config/options.js';

/** Options once `auto` has been decided: what a server key and its files depend on. */
export type ServerOptions = ResolvedOptions & { provider: ConcreteProvider };

export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/** Hash of everything that makes one server differ from another: a changed image or arg gets a new one. */
export function serverKey(options: ServerOptions): string {
  if (options.provider === 'external') return shortHash(JSON.stringify(['external', urlWithoutPassword(options.url ?? '')]));
  const image = options.provider === 'docker' ? options.image : 'embedded';
  return shortHash(JSON.stringify([options.provider, image, options.postgresArgs, options.user, options.database]));
}

/** The URL with its password removed: what identifies an external server. */
export function urlWithoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '';
  }
}

/** Hash of the project root, so two checkouts never share (or remove) each other's server. */
export function projectKey(options: Pick<ResolvedOptions, 'projectRoot'>): string {
  return shortHash(options.projectRoot);
}

/** Where one server's coordination files live. */
export interface ServerPaths {
  dir: string;
  stateFile: string;
  leasesDir: string;
}

export function serverPaths(options: ServerOptions): ServerPaths {
  const dir = join(options.stateDir, `${projectKey(options)}-${serverKey(options)}`);
  return {
    dir,
    stateFile: join(dir, 'server.json'),
    leasesDir: join(dir, 'leases'),
  };
}
