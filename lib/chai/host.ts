// Covered by spec/integration/chai/sql-assertions.spec.ts.
import type { Sql } from 'postgres';

/** Where assertions on a table name get their connection and which names pgdock handed out. */
export interface AssertionHost {
  /** The current test's client, or undefined outside a test using pgdock. */
  sql(): Sql | undefined;
  /** Whether pgdock made this name (this.pg.table(), source, destination) in the current test. */
  isPgdockName(name: string): 'table' | 'schema' | undefined;
  /** The client for a name pgdock handed out in another database than the test's (fresh pairs in database isolation). */
  sqlFor?(name: string): Sql | undefined;
  /** The running test, for `matchSnapshot`: its spec file, full title and how many snapshots it took. */
  snapshotTest?(): SnapshotTest | undefined;
}

/** What names a test's snapshots: `taken` counts them (the key's counter), from 0 at each attempt. */
export interface SnapshotTest {
  file: string;
  title: string;
  taken: number;
  /** PGDOCK_UPDATE_SNAPSHOTS: rewrite snapshots that differ (and write missing ones, even in CI). */
  update: boolean;
  /** In CI a missing snapshot fails instead of being written. */
  ci: boolean;
}

/** A spec file's tests as they ran, for the end-of-file snapshot report. */
export interface SnapshotFileReport {
  specFile: string;
  /** Every test of the file ran (no grep, skip or `.only` left one out): only then can a snapshot be called obsolete. */
  complete: boolean;
  tests: Array<{ title: string; state: 'passed' | 'failed' | 'pending' | undefined; taken: number }>;
}

let host: AssertionHost = { sql: () => undefined, isPgdockName: () => undefined };

/** Called by pgdock/register: where table-name targets find their connection. */
export function setAssertionHost(next: AssertionHost): void {
  host = next;
}

/** The host pgdock/register installed (a stand-in with no connection outside it). */
export function assertionHost(): AssertionHost {
  return host;
}
