// Covered by spec/integration/mocha/hook-pairs.spec.ts and spec/integration/mocha/register.spec.ts.
import { basename } from 'node:path';
import type { Context, Runnable, Suite, Test } from 'mocha';
import { setContextResolver } from './current-context.js';
import { createPgScope, type PgContext, type PgScope, type TimedRunnable } from './pg-context.js';
import { closeProcessClient, keptPairsWritten } from './process-pg.js';
import { setAssertionHost } from '../chai/host.js';
import type { SnapshotTest } from '../chai/host.js';
import { beginSnapshotTest } from './snapshot-tests.js';
import { processOutputEntries, setProcessOwnerResolver, stopProcessesOf, type ProcessOwner } from '../processes/process-scopes.js';

/**
 * Which pair a Mocha runnable sees as `this.pg` (and `pg`): a test and its `beforeEach`/`afterEach`
 * hooks share the test's pair; a suite's `before`/`after` hooks share the suite's own pair, named
 * after the suite (a root-level hook's after its file) and dropped after the suite's last `after`.
 */

let test: { test: Test | undefined; scope: PgScope; snapshot: SnapshotTest | undefined } | undefined;
const suites = new Map<Suite, PgScope>();
/** The runnable that started last: what a `this`-free `pg` belongs to. */
let running: Runnable | undefined;
const tracked = new WeakSet<Context>();
/** Suites whose last hook (processes, then pair) is appended. */
const ending = new WeakSet<Suite>();

const NOT_RUNNING =
  'pgdock: `this.pg` and `pg` can only be used while a test or hook runs (inside it(), beforeEach(), afterEach(), before() or after()), not while a spec file loads or after its test has ended.';

function isSuiteHook(runnable: Runnable): boolean {
  return (runnable as Runnable & { type?: string }).type === 'hook' && /^"(before|after) all" hook/.test(runnable.title);
}

/** Time spent waiting for pgdock goes back to whatever runs now (test or hook). */
function timed(title: string): TimedRunnable {
  const now = running;
  return {
    title,
    testTitle: title,
    timeout: ((ms?: number) => (ms === undefined ? (now?.timeout() ?? 0) : now?.timeout(ms))) as TimedRunnable['timeout'],
  };
}

function suiteScope(suite: Suite, hook: Runnable, create: boolean): PgScope | undefined {
  let scope = suites.get(suite);
  if (scope || !create) return scope;
  const title = suite.title || basename(hook.file ?? 'file').replace(/\.[cm]?[jt]s$/, '').replace(/\.spec$|\.test$/, '');
  scope = createPgScope(() => timed(title));
  suites.set(suite, scope);
  endSuiteLast(suite);
  return scope;
}

/** Appended once, so it runs after every `after` hook the suite has (Mocha reads the list as it goes): the suite's processes stop, then its pair goes. */
function endSuiteLast(suite: Suite): void {
  if (ending.has(suite)) return;
  ending.add(suite);
  suite.afterAll("pgdock drops this suite's pair", async function () {
    ending.delete(suite);
    await stopProcessesOf(suite, hookTimeout(this));
    const created = suites.get(suite);
    if (!created) return;
    suites.delete(suite);
    created.finish(suite.tests.some((t) => t.state === 'failed'));
    await keptPairsWritten();
    if (suite.root) {
      await closeProcessClient(); // pgdock's own root hook closed it before the user's root `after`s ran
      endFile();
    }
  });
}

function hookTimeout(hook: Context): { timeout(ms?: number): number } {
  return { timeout: (ms?: number) => (ms === undefined ? hook.timeout() : (hook.timeout(ms), ms)) };
}

/** Whose processes `startProcess()` starts now: the running test's, or the suite's in its `before`/`after` hooks. */
function processOwnerOf(runnable: Runnable | undefined): ProcessOwner | undefined {
  if (!runnable) return undefined;
  const timeout = (ms?: number): number => (ms === undefined ? runnable.timeout() : (runnable.timeout(ms), ms));
  if (isSuiteHook(runnable)) {
    if (!runnable.parent) return undefined;
    endSuiteLast(runnable.parent);
    return { key: runnable.parent, timeout };
  }
  return test ? { key: test.scope, timeout } : undefined;
}

/** Root `afterEach`: the test's processes stop (before its pair goes: they may be using it). */
export function stopTestProcesses(hook: Context): Promise<void> {
  return test ? stopProcessesOf(test.scope, hookTimeout(hook)) : Promise.resolve();
}

/** The failing test's processes' recent output, then its suites' (outermost last). */
export function processOutputOf(current: Test | undefined): { title: string; value: string }[] {
  const keys: object[] = test ? [test.scope] : [];
  for (let suite = current?.parent; suite; suite = suite.parent) keys.push(suite);
  return processOutputEntries(keys);
}

function scopeOf(runnable: Runnable | undefined, create = true): PgScope | undefined {
  if (!runnable) return undefined;
  if (isSuiteHook(runnable)) return runnable.parent ? suiteScope(runnable.parent, runnable, create) : undefined;
  return test?.scope;
}

function contextOf(runnable: Runnable | undefined): PgContext {
  const scope = scopeOf(runnable);
  if (!scope) throw new TypeError(NOT_RUNNING);
  return scope.context;
}

/**
 * A file's last hook has run: nothing runs until the worker's next file starts, so `pg` read while
 * that file loads must not find this file's last hook.
 */
export function endFile(): void {
  running = undefined;
}

/**
 * Root `beforeAll`: defines `this.pg` on the root context (every suite's context inherits it),
 * and notes each runnable as it starts (Mocha announces it through `ctx.runnable(r)`).
 */
export function installPg(root: Context): void {
  if (!tracked.has(root)) {
    tracked.add(root);
    const announce = root.runnable;
    Object.defineProperty(root, 'runnable', {
      configurable: true,
      writable: true,
      value(this: Context, ...args: [Runnable?]) {
        if (args.length > 0) running = args[0];
        return (announce as (...a: [Runnable?]) => unknown).apply(this, args);
      },
    });
  }
  Object.defineProperty(root, 'pg', {
    configurable: true,
    enumerable: false,
    get(this: Context) {
      return contextOf(this.runnable() as Runnable | undefined);
    },
    set(this: Context, value: PgContext) {
      Object.defineProperty(this, 'pg', { value, configurable: true, enumerable: true, writable: true });
    },
  });
}

/**
 * When the plugin loads (before spec files do): points `pg` and pgdock/chai's table-name targets
 * at whatever runs, so `pg` read while a file loads says where it can be used.
 */
export function enablePg(): void {
  setContextResolver(() => contextOf(running));
  setProcessOwnerResolver(() => processOwnerOf(running));
  setAssertionHost({
    sql: () => scopeOf(running)?.context.sql,
    isPgdockName: (name) => scopeOf(running, false)?.names.get(name),
    sqlFor: (name) => scopeOf(running, false)?.clients.get(name)?.(),
    snapshotTest: () => test?.snapshot,
  });
}

/** Root `beforeEach` (the first one to run): the test's pair, claimed on first use. */
export function beginTest(current: Test | undefined): PgScope {
  const title = current?.title ?? 'test';
  const scope = createPgScope(() => timed(title));
  test = { test: current, scope, snapshot: beginSnapshotTest(current) };
  return scope;
}

/** The running test's scope, between {@link beginTest} and {@link endTest}. */
export function testScope(): PgScope | undefined {
  return test?.scope;
}

/** Root `afterEach` (the last one to run): the test's pair is dropped, or kept when it failed and that is asked for. */
export function endTest(failed: boolean, error?: { message: string }): void {
  const ended = test;
  test = undefined;
  ended?.scope.finish(failed, error);
}
