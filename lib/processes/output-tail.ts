// Covered by spec/unit/processes/output-tail.spec.ts.

/** Lines kept per process: what `output()` and error messages show. */
export const TAIL_LINES = 200;
/** A line longer than this is cut (a process printing megabytes without a newline must not fill memory). */
const MAX_LINE = 4_000;

/** An unfinished last line counts once its stream was quiet this long (a prompt: `ready> `). */
export const SETTLE_MS = 100;

type Watcher = (line: string) => boolean;

/** A stream's unfinished last line, `settled` once the stream was quiet for {@link SETTLE_MS}. */
interface Partial {
  text: string;
  settled: boolean;
  timer: NodeJS.Timeout | undefined;
}

/**
 * A process's recent output: stdout and stderr cut into lines, the last {@link TAIL_LINES} of them.
 * Watchers (ready patterns, `waitForOutput`) see every line as printed; what is shown (`text()`: for
 * `output()`, messages, reports) is redacted. A stream's unfinished last line is a line too once
 * the stream was quiet for {@link SETTLE_MS} (sooner, a pattern could match half a line: port 80 of
 * `port 8080`): watchers see it then, and `text()` ends with it until its newline comes.
 */
export class OutputTail {
  /** As printed (cut at MAX_LINE); redacted when shown. */
  private readonly lines: string[] = [];
  private readonly partial = new Map<string, Partial>();
  private readonly watchers = new Set<Watcher>();
  private seen = 0;

  constructor(
    private readonly redact: (text: string) => string,
    private readonly settleMs = SETTLE_MS,
  ) {}

  /** A chunk of one stream (`stdout`, `stderr`): complete lines are kept, the rest waits for its newline (or for quiet). */
  write(stream: string, chunk: string): void {
    const before = this.partial.get(stream);
    clearTimeout(before?.timer);
    const parts = ((before?.text ?? '') + chunk).split(/\r?\n/);
    let rest = parts.pop() ?? '';
    for (const line of parts) this.push(line);
    if (rest.length > MAX_LINE) {
      this.push(rest);
      rest = '';
    }
    if (rest === '') {
      this.partial.delete(stream);
      return;
    }
    const pending: Partial = { text: rest, settled: false, timer: undefined };
    pending.timer = setTimeout(() => {
      pending.settled = true;
      this.notify(unfinished(pending.text));
    }, this.settleMs);
    pending.timer.unref();
    this.partial.set(stream, pending);
  }

  /** The stream ended: its unfinished last line counts as a line. */
  end(stream: string): void {
    const rest = this.partial.get(stream);
    clearTimeout(rest?.timer);
    this.partial.delete(stream);
    if (rest?.text) this.push(rest.text);
  }

  /** The last `count` lines (all kept ones by default), redacted, joined by newlines. */
  text(count: number = TAIL_LINES): string {
    return this.shownLines().slice(-count).map(this.redact).join('\n');
  }

  /** How many lines the process printed in all (kept or not; a settled unfinished one included). */
  get total(): number {
    return this.seen + this.settledPartials().length;
  }

  /** Calls `watcher` with each line as printed (those already there first) until it returns true; returns an unsubscribe. */
  watch(watcher: Watcher, includePast = true): () => void {
    if (includePast) for (const line of this.shownLines()) if (watcher(line)) return () => {};
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  private push(raw: string): void {
    const line = raw.length > MAX_LINE ? `${raw.slice(0, MAX_LINE)} …(cut)` : raw;
    this.seen++;
    this.lines.push(line);
    if (this.lines.length > TAIL_LINES) this.lines.shift();
    this.notify(line);
  }

  private notify(line: string): void {
    for (const watcher of [...this.watchers]) if (watcher(line)) this.watchers.delete(watcher);
  }

  private settledPartials(): string[] {
    return [...this.partial.values()].filter((p) => p.settled).map((p) => unfinished(p.text));
  }

  private shownLines(): string[] {
    const partials = this.settledPartials();
    return partials.length === 0 ? this.lines : [...this.lines, ...partials];
  }
}

/** An unfinished line as shown: a `\r` that may be half of a `\r\n` dropped. */
const unfinished = (text: string): string => text.replace(/\r$/, '');

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
