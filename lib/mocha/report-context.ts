// Covered by spec/e2e/report.spec.ts (mochawesome context of a failing test).
import { createDebug } from '../debug.js';
import { probeSql } from '../server/readiness.js';
import { redactedUrl, summarizeServer, type ServerInfo } from '../server/server-info.js';
import { isServerGone } from '../server/server-gone.js';

const log = createDebug('report');
const MAX_QUERIES = 25;

/** One entry of mochawesome's test context. */
export interface ContextEntry {
  title: string;
  value: unknown;
}

/** The SQL a test ran through pgdock's clients: text only, never parameter values. */
export class QueryLog {
  private queries: string[] = [];

  record(text: string): void {
    // postgres.js's own look-up of array types on a new connection is not the test's SQL.
    if (/^select b\.oid, b\.typarray\s/.test(text.trim())) return;
    this.queries.push(text.trim());
    if (this.queries.length > MAX_QUERIES) this.queries.shift();
  }

  reset(): void {
    this.queries = [];
  }

  get entries(): readonly string[] {
    return this.queries;
  }
}

/** What a failing test's report should show about its database. Secrets are never in it. */
export async function failureContext(server: ServerInfo | undefined, pair: Record<string, string | undefined> | undefined, queries: readonly string[]): Promise<ContextEntry[]> {
  const entries: ContextEntry[] = [];
  if (queries.length) entries.push({ title: 'pgdock: SQL that ran (last first)', value: [...queries].reverse().join(';\n\n') });
  if (pair) entries.push({ title: 'pgdock: schema pair', value: pair });
  if (!server) return entries;
  entries.push({ title: 'pgdock: server', value: { ...summarizeServer(server), url: redactedUrl(server) } });
  // Gone is already said in the test's own error; probing again would cost every later failure a timeout.
  if (!isServerGone() && !(await probeSql(server, 1_000))) {
    try {
      const { loadProvider } = await import('../server/providers/load-provider.js');
      const provider = await loadProvider(server.provider);
      entries.push({ title: 'pgdock: server log tail (the server did not answer)', value: await provider.logTail(server, 30) });
    } catch (err) {
      entries.push({ title: 'pgdock: server log tail', value: `unavailable: ${(err as Error).message}` });
    }
  }
  return entries;
}

type AddContext = (ctx: object, entry: ContextEntry) => void;
let addContext: AddContext | null | undefined;

/** mochawesome's addContext when mochawesome is installed; otherwise nothing is attached. */
export async function loadAddContext(): Promise<AddContext | null> {
  if (addContext === undefined) {
    try {
      const specifier = 'mochawesome/addContext.js'; // optional peer: resolved only when present
      const mod = (await import(specifier)) as { default: AddContext };
      addContext = mod.default;
    } catch {
      log('mochawesome is not installed: no report context');
      addContext = null;
    }
  }
  return addContext;
}
