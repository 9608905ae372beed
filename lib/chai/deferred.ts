// Covered by spec/integration/chai/false-passes.spec.ts (an assertion never awaited).
interface Pending {
  label: string;
  awaited: boolean;
}

const pending = new Set<Pending>();

/** The pgdock assertions made since the last call that were never awaited (and forgets them). */
export function takeUnawaitedAssertions(): string[] {
  const labels = [...pending].filter((p) => !p.awaited).map((p) => p.label);
  pending.clear();
  return labels;
}

/** Starts `work` and makes the assertion awaitable; remembers it until awaited. */
export function deferAssertion<A extends object>(assertion: A, label: string, work: () => Promise<void>): A {
  const record: Pending = { label, awaited: false };
  pending.add(record);
  const promise = work();
  promise.catch(() => {}); // reported through await, or as never awaited
  Object.defineProperty(assertion, 'then', {
    configurable: true,
    value: (onFulfilled?: (v: void) => unknown, onRejected?: (e: unknown) => unknown) => {
      record.awaited = true;
      return promise.then(onFulfilled, onRejected);
    },
  });
  return assertion;
}
