/**
 * Names as a user writes them in a string: `schema.table`, `"My Schema"."Users"`, a bare `users`.
 * Parsed the way Postgres reads them: unquoted parts fold to lower case, `""` inside quotes is `"`.
 */

const PART = /("(?:[^"]|"")+"|[\p{L}_][\p{L}\p{N}_$]*)(\.|$)/uy;

/** The parts of a dotted name (folded as Postgres folds them), or undefined when it is not one. */
export function parseRelationName(text: string): string[] | undefined {
  const parts: string[] = [];
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const at = PART.lastIndex;
    const match = PART.exec(text);
    if (!match || match.index !== at) return undefined;
    const raw = match[1]!;
    parts.push(raw.startsWith('"') ? raw.slice(1, -1).replace(/""/g, '"') : raw.toLowerCase());
    if (match[2] === '.' && PART.lastIndex === text.length) return undefined; // a trailing dot
  }
  return parts.length > 0 ? parts : undefined;
}

/** Quotes an identifier for SQL text. */
export function quoteName(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `schema.table` parts as SQL text, each part quoted. */
export function quoteParts(parts: readonly string[]): string {
  return parts.map(quoteName).join('.');
}
