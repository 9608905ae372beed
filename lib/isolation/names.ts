// Every name pgdock gives what it makes in the server, and the one identifier quoter. Covered by
// spec/unit/isolation/names.spec.ts (and the LIKE patterns by spec/integration/isolation/sweep.spec.ts).
import { randomBytes } from 'node:crypto';

/** Postgres truncates identifiers longer than this many bytes. */
export const MAX_IDENTIFIER_BYTES = 63;
const NONCE_LENGTH = 12;
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** The two schema names a test gets. */
export interface SchemaPairNames {
  source: string;
  destination: string;
}

/** 12 random base-36 characters (62 bits): unique across workers, runs and machines. */
export function createNonce(): string {
  const bytes = randomBytes(NONCE_LENGTH);
  let out = '';
  for (const b of bytes) out += ALPHABET[b % 36];
  return out;
}

/**
 * A test title as a fragment of an unquoted identifier: lowercase ASCII letters, digits and single
 * underscores, at most `max` characters, never empty. Anything else (quotes, unicode, spaces) goes.
 */
export function slugify(title: string, max: number): string {
  const slug = title
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, max)
    .replace(/_+$/g, '');
  return slug || 'test';
}

/** `src_<slug>_<nonce>` / `dst_<slug>_<nonce>`: valid unquoted identifiers of at most 63 bytes. */
export function schemaPairNames(title: string, nonce: string = createNonce()): SchemaPairNames {
  const slug = slugify(title, MAX_IDENTIFIER_BYTES - 'src_'.length - 1 - nonce.length);
  return { source: `src_${slug}_${nonce}`, destination: `dst_${slug}_${nonce}` };
}

/** True for names Postgres accepts unquoted and keeps as written. */
export function isPlainIdentifier(name: string): boolean {
  return /^[a-z_][a-z0-9_$]*$/.test(name) && Buffer.byteLength(name) <= MAX_IDENTIFIER_BYTES;
}

/** Quotes an identifier (always: a plain-looking name may still be a keyword such as `user`). */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `pgdock_t_<slug>_<nonce>`, at most 63 bytes: a test's database (`isolation: 'database'`). */
export function testDatabaseName(title: string, nonce: string): string {
  return `pgdock_t_${slugify(title, MAX_IDENTIFIER_BYTES - 'pgdock_t_'.length - 1 - nonce.length)}_${nonce}`;
}

/**
 * `src_<nonce>` / `dst_<nonce>`: the names a test's pair has in schema isolation. A pair is built
 * ahead under them and handed out as it is (no rename on the test's clock); a pair kept on failure
 * is renamed to carry its test's title ({@link schemaPairNames}).
 */
export function testPairNames(nonce: string = createNonce()): SchemaPairNames {
  return { source: `src_${nonce}`, destination: `dst_${nonce}` };
}

/** The nonce of a {@link testPairNames} or {@link schemaPairNames} name (its last 12 characters). */
export function pairNonce(name: string): string {
  return name.slice(-NONCE_LENGTH);
}

/** A prepared schema pair in a process's pool, renamed to a test's names when claimed. */
export function poolPairNames(nonce: string = createNonce()): SchemaPairNames {
  return { source: `pgdock_pool_${nonce}_s`, destination: `pgdock_pool_${nonce}_d` };
}

/** Inside every cloned test database the pair starts under these names, renamed per test. */
export const TEMPLATE_PAIR: Readonly<SchemaPairNames> = { source: 'pgdock_source', destination: 'pgdock_destination' };

/**
 * Databases named after the pid of the process that clones them: pool clones (`pgdock_pool_`) and
 * worker databases before their rename (`pgdock_wtmp_`). A clone whose maker died before marking it
 * is known by its name alone.
 */
export function poolDatabaseName(pid: number): string {
  return `pgdock_pool_${pid}_${createNonce()}`;
}

export function workerTempDatabaseName(pid: number): string {
  return `pgdock_wtmp_${pid}_${createNonce()}`;
}

/** The maker's pid in a {@link poolDatabaseName} or {@link workerTempDatabaseName}, or undefined. */
export function clonePid(name: string): number | undefined {
  const pid = Number(/^pgdock_(?:pool|wtmp)_(\d+)_/.exec(name)?.[1]);
  return pid || undefined;
}

/** LIKE patterns (`\_` a literal underscore): the clones of {@link clonePid}, a pool clone being made, and every `pgdock_` name. */
export const LIKE = {
  poolClone: 'pgdock\\_pool\\_%',
  workerTemp: 'pgdock\\_wtmp\\_%',
  creatingPoolClone: 'create database pgdock\\_pool\\_%',
  pgdock: 'pgdock\\_%',
} as const;

/** The template test databases are cloned from, one per pair setup key. */
export function poolTemplateName(key: string): string {
  return `pgdock_tpl_${key}`;
}

/** The template worker databases are cloned from, one per worker setup key. */
export function workerTemplateName(key: string): string {
  return `pgdock_wtpl_${key}`;
}

/** A template is built under this name and renamed into place only once complete. */
export function buildingName(template: string): string {
  return `${template}_building`;
}
