// Covered by spec/unit/processes/output-tail.spec.ts.

/** Lines kept per process: what `output()` and error messages show. */
export const TAIL_LINES = 200;
/** A line longer than this is cut (a process printing megabytes without a newline must not fill memory). */
const MAX_LINE = 4_000;

type Watcher = (line: string) => boolean;

/**
 * A process's recent output: stdout and stderr cut into lines, each redacted before it is kept,
 * the last {@link TAIL_LINES} of them. Watchers see every line as it comes (ready patterns,
 * `waitForOutput`).
 */
export class OutputTail {
  private readonly lines: string[] = [];
  private readonly partial = new Map<string, string>();
  private readonly watchers = new Set<Watcher>();
  private seen = 0;

  constructor(private readonly redact: (text: string) => string) {}

  /** A chunk of one stream (`stdout`, `stderr`): complete lines are kept, the rest waits for its newline. */
  write(stream: string, chunk: string): void {
    const text = (this.partial.get(stream) ?? '') + chunk;
    const parts = text.split(/\r?\n/);
    let rest = parts.pop() ?? '';
    for (const line of parts) this.push(line);
    if (rest.length > MAX_LINE) {
      this.push(rest);
      rest = '';
    }
    this.partial.set(stream, rest);
  }

  /** The stream ended: its unfinished last line counts as a line. */
  end(stream: string): void {
    const rest = this.partial.get(stream);
    this.partial.delete(stream);
    if (rest) this.push(rest);
  }

  /** The last `count` lines (all kept ones by default), joined by newlines. */
  text(count: number = TAIL_LINES): string {
    return this.lines.slice(-count).join('\n');
  }

  /** How many lines the process printed in all (kept or not). */
  get total(): number {
    return this.seen;
  }

  /** Calls `watcher` with each kept line (those already kept first) until it returns true; returns an unsubscribe. */
  watch(watcher: Watcher, includePast = true): () => void {
    if (includePast) for (const line of this.lines) if (watcher(line)) return () => {};
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  private push(raw: string): void {
    const line = this.redact(raw.length > MAX_LINE ? `${raw.slice(0, MAX_LINE)} …(cut)` : raw);
    this.seen++;
    this.lines.push(line);
    if (this.lines.length > TAIL_LINES) this.lines.shift();
    for (const watcher of [...this.watchers]) if (watcher(line)) this.watchers.delete(watcher);
  }
}

/** A pattern as a fresh RegExp without `g`/`y` (their `lastIndex` would make matching depend on history). */
export function plainPattern(pattern: RegExp | string): RegExp {
  if (typeof pattern === 'string') return new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
}

/** "(last 12 of 340 lines)" and the lines, or "(no output)": for error messages. */
export function describeTail(tail: OutputTail, count = 30): string {
  if (tail.total === 0) return 'it printed nothing';
  const shown = Math.min(count, tail.total, TAIL_LINES);
  return `its last ${shown} of ${tail.total} output line(s):\n${tail.text(shown).replace(/^/gm, '  | ')}`;
}
