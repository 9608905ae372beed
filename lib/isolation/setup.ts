import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/** One part of a pair's setup text: pgdock's own statements (no file) or one setup file's contents. */
interface Segment {
  start: number;
  text: string;
  file?: string;
  option?: 'sourceSetup' | 'destinationSetup';
}

/** The SQL that builds a pair, and where each setup file sits in it (to name the file an error points into). */
export interface SetupText {
  text: string;
  segments: Segment[];
}

/** Assembles a setup text from pgdock's statements and the setup files, joined by `;\n`. */
export function assembleSetupText(parts: Array<string | { file: string; option: 'sourceSetup' | 'destinationSetup' }>): SetupText {
  const segments: Segment[] = [];
  let offset = 0;
  for (const part of parts) {
    const segment: Segment = typeof part === 'string' ? { start: offset, text: part } : { start: offset, text: readFileSync(part.file, 'utf8'), file: part.file, option: part.option };
    segments.push(segment);
    offset += segment.text.length + 2;
  }
  return { text: segments.map((s) => s.text).join(';\n'), segments };
}

/** The `sourceSetup`/`destinationSetup` parts of a setup text, in order. */
export function setupFileParts(option: 'sourceSetup' | 'destinationSetup', files: string[]): Array<{ file: string; option: 'sourceSetup' | 'destinationSetup' }> {
  return files.map((file) => ({ file, option }));
}

/**
 * The build's own error, saying which setup file (and line) Postgres pointed at: the whole setup
 * runs as one text, so Postgres's `position` is an offset into it. Without a position (an error
 * found while running, not parsing) every setup file is a suspect, and all are named.
 */
export function explainSetupError(err: unknown, setup: SetupText): Error {
  const { message, code, position } = (err ?? {}) as { message?: string; code?: unknown; position?: unknown };
  const text = `${message || String(err)}${typeof code === 'string' && !(message ?? '').includes(code) ? ` (${code})` : ''}`;
  const files = setup.segments.filter((s) => s.file);
  if (files.length === 0) return err instanceof Error ? err : new Error(text);
  const at = Number(position) - 1;
  const hit = Number.isInteger(at) && at >= 0 ? setup.segments.find((s) => at >= s.start && at <= s.start + s.text.length) : undefined;
  const shown = (s: Segment) => {
    const near = relative(process.cwd(), s.file!);
    return near && !near.startsWith('..') ? near : s.file!;
  };
  if (hit?.file) {
    const line = setup.text.slice(hit.start, at).split('\n').length;
    return new Error(`the ${hit.option} file ${shown(hit)}:${line} failed: ${text}`);
  }
  const names = files.map((s) => `${s.option} ${shown(s)}`).join(', ');
  return new Error(`the pair setup (${names}) failed: ${text}`);
}
