// The project and the machine options default from: the project root, its package.json#pgdock, the
// user's state folder, CI. Covered by spec/unit/config/project.spec.ts.
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { invalidOption } from './invalid-option.js';

/** The nearest folder at or above `from` holding a package.json, else `from` itself. */
export function findProjectRoot(from: string): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(from);
    dir = parent;
  }
}

/** Where `package.json#pgdock` of the project is, as errors name it. */
export function packageConfigSource(projectRoot: string): string {
  return `${join(projectRoot, 'package.json')}#pgdock`;
}

/** `package.json#pgdock` of the project, unvalidated (`{}` when absent). */
export function readPackageConfig(projectRoot: string): Record<string, unknown> {
  let pkg: unknown;
  try {
    pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8'));
  } catch {
    return {};
  }
  const section = (pkg as { pgdock?: unknown } | null)?.pgdock;
  if (section === undefined) return {};
  if (typeof section !== 'object' || section === null || Array.isArray(section)) {
    throw invalidOption('pgdock', 'an object', section, packageConfigSource(projectRoot));
  }
  return section as Record<string, unknown>;
}

/** Per user: `/tmp` is everyone's, and one user's runs must never read another's state. */
export function defaultStateDir(): string {
  return join(tmpdir(), `pgdock-${userSuffix()}`);
}

/** The uid, or the user name where there are no uids. */
export function userSuffix(): string {
  return typeof process.getuid === 'function' ? String(process.getuid()) : userInfo().username.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** `CI` set to anything but empty, `0` or `false`. */
export function isCi(env: Record<string, string | undefined>): boolean {
  const ci = env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}
