// Covered end to end by spec/e2e/schema-pairs.spec.ts (isolation: 'database'), spec/faults/sweeps.spec.ts
// and spec/faults/worker-isolation.spec.ts; its template build by spec/integration/isolation/template.spec.ts.
import { count, sample } from '../metrics/process-metrics.js';
import postgres, { type Sql } from 'postgres';
import { createDebug } from '../debug.js';
import { connectionUrl, type ServerInfo } from '../server/server-info.js';
import { keptMark, markSql, type SchemaMark, type SchemaOwner } from './marks.js';
import { poolDatabaseName, poolTemplateName, TEMPLATE_PAIR, type SchemaPairNames } from './names.js';
import { assembleSetupText, explainSetupError, loadSetupFunction, setupFileParts, type PairSetup, type SetupFunction } from './setup.js';
import { assertPlain, dropDatabase, privateDatabaseSql } from './sql.js';
import { ensureTemplate } from './template.js';

const log = createDebug('pairs');

/** A test's database and the pair inside it. */
export interface DatabasePair extends SchemaPairNames {
  database: string;
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

  private mark(state: SchemaMark['state'], pair: string, schemas: string[] = []): SchemaMark {
    return { pgdock: 1, state, owner: this.owner, key: this.setup.key, pair, schemas };
  }

  private connect(database: string, max = 1): Sql {
    return postgres(connectionUrl({ ...this.server, database }), { max, onnotice: () => {} });
  }

  /** The template for this setup, built once across all workers ({@link ensureTemplate}). */
  private ensureTemplate(): Promise<string> {
    this.template ??= (async () => {
      const name = poolTemplateName(this.setup.key);
      await ensureTemplate(this.workSql, { name, mark: this.mark('pool', 'template'), login: this.server, build: (db) => this.buildTemplate(db), log });
      return name;
    })();
    this.template.catch(() => (this.template = undefined));
    return this.template;
  }

  /** The pair's schemas under {@link TEMPLATE_PAIR}'s names, with its setup, in one transaction. */
  private async buildTemplate(db: Sql): Promise<void> {
    const { source, destination } = TEMPLATE_PAIR;
    const setup = assembleSetupText([
      `create schema ${source}; create schema ${destination}`,
      ...(this.setup.sourceFiles.length ? [`set local search_path to ${source}`, ...setupFileParts('sourceSetup', this.setup.sourceFiles)] : []),
      ...(this.setup.destinationFiles.length ? [`set local search_path to ${destination}`, ...setupFileParts('destinationSetup', this.setup.destinationFiles)] : []),
      'set local search_path to public',
    ]);
    await db.begin(async (tx) => {
      await tx.unsafe(setup.text).catch((err: unknown) => Promise.reject(explainSetupError(err, setup)));
      if (this.setup.module) {
        const setupFn = await loadSetupFunction<SetupFunction>(this.setup.module, 'pair setup module', '(sql, { source, destination })');
        await setupFn(tx, { ...TEMPLATE_PAIR });
      }
    });
  }

  private async clone(name: string, state: SchemaMark['state']): Promise<void> {
    const template = await this.ensureTemplate();
    const started = performance.now();
    await this.workSql.unsafe(`create database ${name} template ${template}`);
    await this.workSql.unsafe(`${markSql('database', name, this.mark(state, name))}; ${privateDatabaseSql(name)}`);
    count('databasesMade');
    sample('buildMs', performance.now() - started);
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
      await this.adminSql.unsafe(markSql('database', pair.database, this.mark('claimed', pair.database, [pair.source, pair.destination])));
      const db = this.connect(pair.database);
      try {
        await db.unsafe(`alter schema ${TEMPLATE_PAIR.source} rename to ${pair.source}; alter schema ${TEMPLATE_PAIR.destination} rename to ${pair.destination}`);
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
      const kept = keptMark(this.mark('claimed', pair.database, [pair.source, pair.destination]), keep.forMs);
      return this.workSql.unsafe(markSql('database', pair.database, kept)).then(() => {});
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
