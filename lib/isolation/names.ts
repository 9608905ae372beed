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
