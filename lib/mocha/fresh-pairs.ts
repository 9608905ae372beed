// Covered by spec/integration/mocha/fresh-pairs.spec.ts and spec/e2e/property-tests.spec.ts.
import postgres, { type Sql } from 'postgres';
import { quoteIdentifier } from '../isolation/names.js';
import type { PairNames } from '../sync/schema-pairs.js';

/** Which schema of a pair. */
export type SchemaRole = 'source' | 'destination';

/** A pair a test asked for with `this.pg.freshPair()`, beside its own. */
export interface FreshPair {
  /** Its source schema: `src_<nonce>` (in database isolation `src_<title>_<nonce>`), empty but for the pair setup. */
  readonly source: string;
  /** Its destination schema. */
  readonly destination: string;
  /** In `isolation: 'database'`, its own database (`sql` points at it); else undefined. */
  readonly database: string | undefined;
  /** A postgres.js client that reaches it (the test's shared client, or one for its database). */
  readonly sql: Sql;
  /** `schema."name"` for a table in this pair. */
  table(name: string, role?: SchemaRole): string;
  /** Drops the pair now instead of when the test ends (a property test does so after each passing case). */
  release(): void;
}

/** What fresh pairs need from the test's scope. */
export interface FreshPairHost {
  /** Names and claims a new pair from the worker's pool (waiting only if the pool is empty). */
  claim(): PairNames;
  /** Undefined when {@link claim} has a pair at hand; else resolves once it has. */
  ready(): Promise<void> | undefined;
  /** Drops it in the background, or keeps it for `keepFor` ms; returns the names it is kept under. */
  release(names: PairNames, keepFor?: number): PairNames;
  /** The shared client, or a URL for a pair's own database. */
  client(): Sql;
  databaseUrl(database: string): string;
  /** Names pgdock handed out in this test, for pgdock/chai's `.exist` / `.empty`. */
  names: Map<string, 'table' | 'schema'>;
  /** For names in a pair's own database: the client pgdock/chai must ask, not the test's. */
  clients: Map<string, () => Sql>;
}

/** The line a kept pair prints: where it is, until when, and the psql command that opens it. */
export function keptPairLine(pair: PairNames, keepFor: number, what = 'this test\'s schemas'): string {
  const until = new Date(Date.now() + keepFor).toISOString();
  const where = pair.database ? ` in database ${pair.database}` : '';
  const url = pair.database ? `"$(npx pgdock url | sed 's#/[^/]*$#/${pair.database}#')"` : '"$(npx pgdock url)"';
  return `pgdock kept ${what} ${pair.source} and ${pair.destination}${where} until ${until}. Inspect them with:\n` +
    `  PGOPTIONS='-c search_path=${pair.source},${pair.destination}' psql ${url}`;
}

/** The fresh pairs of one test: handed out on request, dropped (or kept) when the test ends. */
export class FreshPairs {
  private readonly live = new Map<FreshPair, { names: PairNames; sql?: Sql }>();
  private finished = false;

  constructor(private readonly host: FreshPairHost) {}

  async take(): Promise<FreshPair> {
    if (this.finished) throw new TypeError('pgdock: freshPair() was called after its test ended (a property still running after a timeout?): pairs belong to a running test.');
    await this.host.ready();
    if (this.finished) throw new TypeError('pgdock: freshPair() was called after its test ended (a property still running after a timeout?): pairs belong to a running test.');
    const host = this.host;
    const names = host.claim();
    const entry: { names: PairNames; sql?: Sql } = { names };
    const own = (name: string, kind: 'table' | 'schema'): void => {
      host.names.set(name, kind);
      if (names.database) host.clients.set(name, () => pair.sql); // assertions on it go to its database
    };
    const pair: FreshPair = {
      source: names.source,
      destination: names.destination,
      database: names.database,
      get sql() {
        return entry.sql ?? (entry.sql = names.database ? postgres(host.databaseUrl(names.database), { max: 2, onnotice: () => {} }) : host.client());
      },
      table: (name, role = 'source') => {
        if (typeof name !== 'string' || name === '') throw new TypeError(`freshPair().table() needs a table name, got ${JSON.stringify(name)}`);
        if (role !== 'source' && role !== 'destination') throw new TypeError(`freshPair().table() role must be 'source' or 'destination', got ${JSON.stringify(role)}`);
        const qualified = `${role === 'source' ? names.source : names.destination}.${quoteIdentifier(name)}`;
        own(qualified, 'table');
        return qualified;
      },
      release: () => this.drop(pair),
    };
    for (const schema of [names.source, names.destination]) own(schema, 'schema');
    this.live.set(pair, entry);
    return pair;
  }

  /** Returns the names the pair is kept under (undefined if it was not held). */
  private drop(pair: FreshPair, keepFor?: number): PairNames | undefined {
    const entry = this.live.get(pair);
    if (!entry) return undefined;
    this.live.delete(pair);
    if (entry.names.database && entry.sql) void entry.sql.end({ timeout: 1 }).catch(() => {});
    return this.host.release(entry.names, keepFor);
  }

  /** At the test's end: every pair still held is dropped, or kept (`keepFor`) with a line saying how to open it. */
  finish(keepFor: number | undefined): string[] {
    this.finished = true;
    const lines: string[] = [];
    for (const [pair, { names }] of [...this.live]) {
      const keptAs = this.drop(pair, keepFor) ?? names;
      if (keepFor) lines.push(keptPairLine(keptAs, keepFor, 'a fresh pair, schemas'));
    }
    return lines;
  }
}
