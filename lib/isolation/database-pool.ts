import { hostname } from 'node:os';
import postgres, { type Sql } from 'postgres';
import { dropDatabase, privateDatabaseSql } from './database-lifecycle.js';
import { createDebug } from '../debug.js';
import { loadSetupFunction } from './setup-module.js';
import { redactSecrets } from '../errors.js';
import { createNonce, slugify, MAX_IDENTIFIER_BYTES, type SchemaPairNames } from './schema-names.js';
import { assembleSetupText, explainSetupError, setupFileParts } from './setup-sql.js';
import { assertPlain, literal, ownerAlive, parseMark, type PairSetup, type SchemaMark, type SchemaOwner, type SetupFunction } from './schema-pool.js';
import type { ServerInfo } from '../server/server-info.js';
import { connectionUrl } from '../server/server-info.js';

const log = createDebug('pairs');

/** Inside every cloned database the pair starts under these names, renamed per test. */
const TEMPLATE_SOURCE = 'pgdock_source';
const TEMPLATE_DESTINATION = 'pgdock_destination';

/** A test's database and the pair inside it. */
export interface DatabasePair extends SchemaPairNames {
  database: string;
}

/** `pgdock_t_<slug>_<nonce>`, at most 63 bytes. */
export function testDatabaseName(title: string, nonce: string): string {
  return `pgdock_t_${slugify(title, MAX_IDENTIFIER_BYTES - 'pgdock_t_'.length - 1 - nonce.length)}_${nonce}`;
}

/** Databases pgdock marked on this server. */
export async function listMarkedDatabases(sql: Sql): Promise<Array<{ name: string; mark: SchemaMark }>> {
  const rows = await sql<{ name: string; mark: string }[]>`
    select datname as name, shobj_description(oid, 'pg_database') as mark
    from pg_database where shobj_description(oid, 'pg_database') like '{"pgdock":1,%'`;
  return rows.flatMap((r) => {
    const mark = parseMark(r.mark);
    return mark ? [{ name: r.name, mark }] : [];
  });
}

/** Pool databases carry their owner's pid in the name: a clone whose owner died mid-way has no mark yet. */
function poolDatabaseName(pid: number): string {
  return `pgdock_pool_${pid}_${createNonce()}`;
}

/** Whether a marked database is done with: kept past its expiry, or not a template and its owner dead (or `extra`). A malformed mark is not ours. */
function isDoomed(mark: SchemaMark, now: number, extra: (mark: SchemaMark) => boolean): boolean {
  try {
    return mark.state === 'kept' ? Date.parse(mark.keptUntil ?? '') < now : mark.pair !== 'template' && (!ownerAlive(mark.owner) || extra(mark));
  } catch {
    return false;
  }
}

/**
 * Drops test databases of dead owners, expired kept ones and whatever `extra` selects (templates
 * stay), and pool clones whose owner died before marking them, each whatever its suite did to it
 * ({@link dropDatabase}). A `CREATE DATABASE` outlives the client that sent it: at the end of a run
 * (`waitForClones`), clones still being made are waited for first (a few seconds at most); a
 * start-up sweep must not wait on live workers' clones. Never throws: a database that cannot be
 * dropped is logged (DEBUG) and left for a later sweep, and the others still go.
 */
export async function sweepDatabases(sql: Sql, extra: (mark: SchemaMark) => boolean = () => false, waitForClones = false): Promise<string[]> {
  let doomed: Array<{ name: string; mark: Partial<SchemaMark> }>;
  try {
    for (let i = 0; waitForClones && i < 50; i++) {
      const [busy] = await sql<{ n: number }[]>`select count(*)::int as n from pg_stat_activity
        where pid <> pg_backend_pid() and query ilike 'create database pgdock\_pool\_%' and state = 'active'`;
      if (!busy?.n) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const now = Date.now();
    const marked = await listMarkedDatabases(sql);
    doomed = marked.filter(({ mark }) => isDoomed(mark, now, extra));
    const markedNames = new Set(marked.map((m) => m.name));
    // Clones named after their maker's pid (pool clones; worker databases before their rename), not yet marked.
    const unmarked = await sql<{ name: string }[]>`select datname as name from pg_database where datname like 'pgdock\_pool\_%' or datname like 'pgdock\_wtmp\_%'`;
    for (const { name } of unmarked) {
      const pid = Number(/^pgdock_(?:pool|wtmp)_(\d+)_/.exec(name)?.[1]);
      if (!markedNames.has(name) && pid && !ownerAlive({ pid, host: hostname(), run: '' })) doomed.push({ name, mark: {} });
    }
  } catch (err) {
    log('could not list databases to sweep: %s', redactSecrets((err as Error).message));
    return [];
  }
  const dropped: string[] = [];
  for (const { name, mark } of doomed) {
    try {
      await dropDatabase(sql, name, Array.isArray(mark.schemas) ? mark.schemas : []);
      dropped.push(name);
    } catch (err) {
      log('could not drop database %s (left for a later sweep): %s', name, redactSecrets((err as Error).message));
    }
  }
  if (dropped.length) log('swept %d database(s)', dropped.length);
  return dropped;
}

/**
 * `isolation: 'database'`: a database per test, cloned in the background from a template that is
 * built once per server and setup (by whichever worker gets the advisory lock first).
 */
export class DatabasePool {
  private readonly ready: string[] = [];
  private readonly dropping: Array<{ pair: DatabasePair; done: () => void }> = [];
  private working: Promise<void> | undefined;
  private closed = false;
  private template: Promise<string> | undefined;

  constructor(
    private readonly server: ServerInfo,
    private readonly adminSql: Sql,
    private readonly workSql: Sql,
    private readonly setup: PairSetup,
    private readonly owner: SchemaOwner,
    private readonly size: number,
  ) {}

  private mark(state: SchemaMark['state'], pair: string, schemas: string[] = [], keptUntil?: string): string {
    const mark: SchemaMark = { pgdock: 1, state, owner: this.owner, key: this.setup.key, pair, schemas };
    if (keptUntil) mark.keptUntil = keptUntil;
    return literal(JSON.stringify(mark));
  }

  private connect(database: string, max = 1): Sql {
    return postgres(connectionUrl({ ...this.server, database }), { max, onnotice: () => {} });
  }

  /** The template for this setup, built once across all workers (advisory lock on the setup key). */
  private ensureTemplate(): Promise<string> {
    this.template ??= (async () => {
      const name = `pgdock_tpl_${this.setup.key}`;
      await this.workSql.reserve().then(async (conn) => {
        try {
          await conn`select pg_advisory_lock(hashtext(${name}))`;
          const [exists] = await conn`select 1 from pg_database where datname = ${name}`;
          if (!exists) await this.buildTemplate(conn, name);
        } finally {
          await conn`select pg_advisory_unlock(hashtext(${name}))`.catch(() => {});
          conn.release();
        }
      });
      return name;
    })();
    this.template.catch(() => (this.template = undefined));
    return this.template;
  }

  private async buildTemplate(conn: Sql, name: string): Promise<void> {
    const building = `${name}_building`;
    await dropDatabase(conn, building);
    await conn.unsafe(`create database ${building}`);
    const db = this.connect(building);
    try {
      const setup = assembleSetupText([
        `create schema ${TEMPLATE_SOURCE}; create schema ${TEMPLATE_DESTINATION}`,
        ...(this.setup.sourceFiles.length ? [`set local search_path to ${TEMPLATE_SOURCE}`, ...setupFileParts('sourceSetup', this.setup.sourceFiles)] : []),
        ...(this.setup.destinationFiles.length ? [`set local search_path to ${TEMPLATE_DESTINATION}`, ...setupFileParts('destinationSetup', this.setup.destinationFiles)] : []),
        'set local search_path to public',
      ]);
      await db.begin(async (tx) => {
        await tx.unsafe(setup.text).catch((err: unknown) => Promise.reject(explainSetupError(err, setup)));
        if (this.setup.module) {
          const setupFn = await loadSetupFunction<SetupFunction>(this.setup.module, 'pair setup module', '(sql, { source, destination })');
          await setupFn(tx, { source: TEMPLATE_SOURCE, destination: TEMPLATE_DESTINATION });
        }
      });
    } finally {
      await db.end({ timeout: 1 });
    }
    // Renamed into place only once complete: a half-built template is never cloned.
    await conn.unsafe(`alter database ${building} rename to ${name}; comment on database ${name} is ${this.mark('pool', 'template')}; ${privateDatabaseSql(name)}`);
  }

  private async clone(name: string, state: SchemaMark['state']): Promise<void> {
    const template = await this.ensureTemplate();
    await this.workSql.unsafe(`create database ${name} template ${template}`);
    await this.workSql.unsafe(`comment on database ${name} is ${this.mark(state, name)}; ${privateDatabaseSql(name)}`);
  }

  private pump(): Promise<void> {
    this.working ??= (async () => {
      try {
        for (;;) {
          if (!this.closed && this.ready.length < this.size) {
            const name = poolDatabaseName(this.owner.pid);
            await this.clone(name, 'pool');
            this.ready.push(name);
          } else {
            const next = this.dropping.shift();
            if (!next) return;
            await dropDatabase(this.workSql, next.pair.database, [next.pair.source, next.pair.destination]).catch((err: Error) => log('drop failed: %s', err.message));
            next.done();
          }
        }
      } catch (err) {
        log('database pool fill failed: %s', (err as Error).message);
      } finally {
        this.working = undefined;
      }
    })();
    return this.working;
  }

  fill(): Promise<void> {
    return this.pump();
  }

  /** Renames a prepared clone (or clones one now) to the test's database, then its schemas to the test's names. */
  async claim(pair: DatabasePair): Promise<void> {
    assertPlain(pair.database, pair.source, pair.destination);
    const prepared = this.ready.shift();
    try {
      if (prepared) await this.adminSql.unsafe(`alter database ${prepared} rename to ${pair.database}`);
      else await this.clone(pair.database, 'claimed');
      await this.adminSql.unsafe(`comment on database ${pair.database} is ${this.mark('claimed', pair.database, [pair.source, pair.destination])}`);
      const db = this.connect(pair.database);
      try {
        await db.unsafe(`alter schema ${TEMPLATE_SOURCE} rename to ${pair.source}; alter schema ${TEMPLATE_DESTINATION} rename to ${pair.destination}`);
      } finally {
        await db.end({ timeout: 1 });
      }
    } finally {
      void this.pump();
    }
  }

  /** Drops the test's database in the background, or keeps it marked with an expiry. */
  release(pair: DatabasePair, keep?: { forMs: number }): Promise<void> {
    if (keep) {
      const until = new Date(Date.now() + keep.forMs).toISOString();
      return this.workSql.unsafe(`comment on database ${pair.database} is ${this.mark('kept', pair.database, [pair.source, pair.destination], until)}`).then(() => {});
    }
    return new Promise<void>((done) => {
      this.dropping.push({ pair, done });
      void this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.working;
    await this.pump();
    for (const name of this.ready.splice(0)) await dropDatabase(this.workSql, name);
  }
}
