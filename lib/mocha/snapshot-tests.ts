// Covered by spec/e2e/snapshots.spec.ts.
import type { Suite, Test } from 'mocha';
import type { SnapshotFileReport, SnapshotTest } from '../chai/host.js';
import { OPTION_TABLE } from '../config/option-table.js';
import { resolveOptions } from '../config/options.js';
import { isCi } from '../config/project.js';

const snapshots = new WeakMap<Test, SnapshotTest>();

let configured: boolean | undefined;

/**
 * The `updateSnapshots` option: PGDOCK_UPDATE_SNAPSHOTS as the environment says now (so a test can
 * set it for itself), else the resolved option (package.json#pgdock, checked when the run began).
 */
export function snapshotUpdate(): boolean {
  const raw = process.env[OPTION_TABLE.updateSnapshots.env];
  if (raw === undefined || raw.trim() === '') {
    try {
      configured ??= resolveOptions().updateSnapshots;
    } catch {
      configured = false; // the run reported the bad option when it began
    }
    return configured;
  }
  try {
    return OPTION_TABLE.updateSnapshots.parse(raw, { name: 'updateSnapshots', source: OPTION_TABLE.updateSnapshots.env, projectRoot: process.cwd() });
  } catch {
    return false;
  }
}

/** A test attempt's snapshot identity (its counter starts again at each attempt, e.g. a retry). */
export function beginSnapshotTest(test: Test | undefined): SnapshotTest | undefined {
  if (!test?.file) return undefined;
  const entry: SnapshotTest = {
    file: test.file,
    title: test.fullTitle(),
    taken: 0,
    // Read when an assertion asks, so a test can set them for itself.
    get update() {
      return snapshotUpdate();
    },
    get ci() {
      return isCi(process.env);
    },
  };
  snapshots.set(test, entry);
  return entry;
}

function testsOf(suite: Suite): Test[] {
  return [...suite.tests, ...suite.suites.flatMap(testsOf)];
}

/** `.only` anywhere leaves the other tests out of the tree: Mocha keeps the marks on the suites. */
function hasOnly(suite: Suite): boolean {
  const marks = suite as unknown as { _onlyTests?: unknown[]; _onlySuites?: unknown[] };
  return Boolean(marks._onlyTests?.length || marks._onlySuites?.length) || suite.suites.some(hasOnly);
}

/** What each spec file under `root` ran, for {@link settleSnapshots}: only files with a snapshot to report on. */
export function snapshotReports(root: Suite): SnapshotFileReport[] {
  const byFile = new Map<string, Test[]>();
  for (const test of testsOf(root)) if (test.file) byFile.set(test.file, [...(byFile.get(test.file) ?? []), test]);
  const only = hasOnly(root);
  return [...byFile].map(([specFile, tests]) => ({
    specFile,
    complete: !only && tests.every((t) => t.state === 'passed' || t.state === 'failed'),
    tests: tests.map((t) => ({ title: t.fullTitle(), state: t.state, taken: snapshots.get(t)?.taken ?? 0 })),
  }));
}
