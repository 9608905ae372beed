// Covered by spec/integration/processes/scopes.spec.ts (a test's and a suite's processes stopped at their end).
// Kept free of heavy imports: lib/mocha/mocha-scopes.ts loads it with pgdock/register.

/** Whose processes these are (a test or a suite), as the Mocha adapter tells: found like `pg`. */
export interface ProcessOwner {
  /** The test's or suite's identity: what {@link stopProcessesOf} is called with when it ends. */
  readonly key: object;
  /** What the runnable running now allows (ms; 0: no limit), or sets it. */
  timeout(ms?: number): number;
}

/** What a scope needs of a started process. */
export interface ScopedProcess {
  readonly name: string;
  readonly stopGrace: number;
  /** The last `count` lines, redacted. */
  tail(count: number): string;
  stop(): Promise<unknown>;
}

type OwnerResolver = () => ProcessOwner | undefined;

let resolveOwner: OwnerResolver | undefined;
const owned = new Map<object, Set<ScopedProcess>>();

/** Called by pgdock/register: how `startProcess` finds the running test or suite. */
export function setProcessOwnerResolver(resolver: OwnerResolver): void {
  resolveOwner = resolver;
}

/**
 * The owner of a process started now: the running test or suite. `null` when pgdock/register is
 * not loaded (a plain script: the process lives until `stop()` or until this process exits);
 * `undefined` when it is loaded but nothing runs (a spec file loading).
 */
export function currentProcessOwner(): ProcessOwner | null | undefined {
  return resolveOwner ? resolveOwner() : null;
}

export function adoptProcess(key: object, started: ScopedProcess): void {
  let set = owned.get(key);
  if (!set) owned.set(key, (set = new Set()));
  set.add(started);
}

/** A process stopped by its own `stop()` leaves its scope. */
export function releaseProcess(key: object, started: ScopedProcess): void {
  const set = owned.get(key);
  set?.delete(started);
  if (set?.size === 0) owned.delete(key);
}

/**
 * The scope `key` ended: its processes are stopped (all at once), and the hook that waits is given
 * the time (`hook`: the running hook's timeout, extended while the processes stop).
 */
export async function stopProcessesOf(key: object, hook?: { timeout(ms?: number): number }): Promise<void> {
  const set = owned.get(key);
  if (!set || set.size === 0) return;
  owned.delete(key);
  const before = hook?.timeout() ?? 0;
  const started = Date.now();
  if (hook && before > 0) hook.timeout(before + stopBudget(set) + 3_000);
  try {
    await Promise.all([...set].map((p) => p.stop().catch(() => undefined)));
  } finally {
    // Mocha also fails a hook whose whole duration exceeds its timeout: it keeps the time spent.
    if (hook && before > 0) hook.timeout(before + (Date.now() - started));
  }
}

/** The longest grace of a scope's processes: how long stopping them may take. */
function stopBudget(set: Set<ScopedProcess>): number {
  return Math.max(0, ...[...set].map((p) => p.stopGrace));
}

/** One report-context entry per process of `keys` (a test, then its suites): its recent output. */
export function processOutputEntries(keys: readonly object[], lines = 50): { title: string; value: string }[] {
  const entries: { title: string; value: string }[] = [];
  for (const key of keys) {
    for (const p of owned.get(key) ?? []) {
      const text = p.tail(lines);
      const count = text ? text.split('\n').length : 0;
      entries.push({ title: `pgdock: process ${p.name} output (last ${count} lines)`, value: text || '(no output)' });
    }
  }
  return entries;
}
