import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { ResolvedOptions } from './options.js';

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/** Hash of everything that makes one server differ from another: a changed image or arg gets a new one. */
export function serverKey(options: ResolvedOptions): string {
  return shortHash(JSON.stringify([options.provider, options.image, options.postgresArgs, options.user, options.database]));
}

/** Hash of the project root, so two checkouts never share (or remove) each other's server. */
export function projectKey(options: ResolvedOptions): string {
  return shortHash(options.projectRoot);
}

/** Where one server's coordination files live. */
export interface ServerPaths {
  dir: string;
  stateFile: string;
  leasesDir: string;
  holderFile: string;
}

export function serverPaths(options: ResolvedOptions): ServerPaths {
  const dir = join(options.stateDir, `${projectKey(options)}-${serverKey(options)}`);
  return {
    dir,
    stateFile: join(dir, 'server.json'),
    leasesDir: join(dir, 'leases'),
    holderFile: join(dir, 'lock-holder'),
  };
}
