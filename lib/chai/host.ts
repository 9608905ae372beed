// Covered by spec/integration/chai/sql-assertions.spec.ts.
import type { Sql } from 'postgres';

/** Where assertions on a table name get their connection and which names pgdock handed out. */
export interface AssertionHost {
  /** The current test's client, or undefined outside a test using pgdock. */
  sql(): Sql | undefined;
  /** Whether pgdock made this name (this.pg.table(), source, destination) in the current test. */
  isPgdockName(name: string): 'table' | 'schema' | undefined;
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
