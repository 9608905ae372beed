import type { ConcreteProvider } from '../../lib/config/options.js';

/** The provider this suite run tests, decided once by the global setup (read late: serial mode loads specs first). */
export function specProvider(): ConcreteProvider {
  return parseProvider(process.env.PGDOCK_SPEC_PROVIDER) ?? 'docker';
}

/** The provider CI says this run must use (`PGDOCK_SPEC_EXPECT_PROVIDER`): specs for it never skip. */
export function expectedProvider(): ConcreteProvider | undefined {
  return parseProvider(process.env.PGDOCK_SPEC_EXPECT_PROVIDER);
}

export function parseProvider(value: string | undefined): ConcreteProvider | undefined {
  return value === 'docker' || value === 'embedded' || value === 'external' ? value : undefined;
}

/** The external server's URL for an external run (the suite's own PGDOCK_URL). */
export function externalUrl(): string | undefined {
  return specProvider() === 'external' ? process.env.PGDOCK_URL : undefined;
}

/** Settings that point pgdock (options or a child's env) at the provider under test. */
export function providerSettings(): { provider: ConcreteProvider; url?: string } {
  const url = externalUrl();
  return url ? { provider: specProvider(), url } : { provider: specProvider() };
}

export function providerEnv(): Record<string, string> {
  const url = externalUrl();
  return url ? { PGDOCK_PROVIDER: specProvider(), PGDOCK_URL: url } : { PGDOCK_PROVIDER: specProvider() };
}

/**
 * For a spec that only means something on some providers: skips it elsewhere, saying why in its
 * title, and fails instead when CI expected one of those providers (a skip there would hide a gap).
 */
export function onlyOn(ctx: Mocha.Context, providers: ConcreteProvider[], why: string): void {
  const provider = specProvider();
  if (providers.includes(provider)) return;
  const expected = expectedProvider();
  if (expected && providers.includes(expected)) {
    throw new Error(`this spec needs the ${providers.join('/')} provider, which CI expected, but the suite runs on ${provider}`);
  }
  const note = ` [skipped on ${provider}: ${why}]`;
  const runnable = ctx.test;
  if ((runnable as { type?: string } | undefined)?.type === 'hook' && runnable?.title.includes('before all')) {
    // In a before() hook: the whole suite skips; say so on every test it holds.
    for (const test of runnable?.parent?.tests ?? []) test.title += note;
  } else {
    const test = ctx.currentTest ?? runnable;
    if (test) test.title += note;
  }
  ctx.skip();
}

/**
 * Rounds for a repeated concurrency spec: all of them on docker (CI's first phase), at most two on
 * the other providers, whose coordination is the same code and whose phases would otherwise double
 * CI's time.
 */
export function roundsFor(full: number): number {
  return specProvider() === 'docker' ? full : Math.min(full, 2);
}
