import { hostname } from 'node:os';
import type { Sql, TransactionSql } from 'postgres';
import { createDebug } from '../debug.js';
import { loadSetupFunction } from './setup-module.js';
import { isRecordedProcessAlive } from '../coordination/process-liveness.js';
import { createNonce, isPlainIdentifier, type SchemaPairNames } from './schema-names.js';
import type { SerializedError } from '../errors.js';
import { assembleSetupText, explainSetupError, setupFileParts } from './setup-sql.js';

const log = createDebug('pairs');
/** Background jobs run on this many connections at once (the client passed as workSql needs as many). */
const LANES = 2;

/** Who a schema belongs to: the process that prepared or claimed it, and its run. */
export interface SchemaOwner {
  pid: number;
  pidStart?: string;
  host: string;
  run: string;
}

/** The JSON pgdock writes as each schema's COMMENT: how sweeps tell whose it is and what it is for. */
export interface SchemaMark {
  pgdock: 1;
  state: 'pool' | 'claimed' | 'kept';
  owner: SchemaOwner;
  key: string;
  pair: string;
  keptUntil?: string;
  /** A worker template whose build failed: the error, replayed to the other workers of that run. */
  error?: SerializedError;
  /** For test databases: the pair's schema names inside it (their slots are cluster-wide). */
  schemas?: string[];
}

/** A mark pgdock wrote (owner, state, key, pair); any other comment, however it starts, is not ours. */
export function isSchemaMark(value: unknown): value is SchemaMark {
  const v = value as Partial<SchemaMark> | null;
  const o = v?.owner as Partial<SchemaOwner> | undefined;
  return (
    !!v &&
    v.pgdock === 1 &&
    (v.state === 'pool' || v.state === 'claimed' || v.state === 'kept') &&
    typeof v.key === 'string' &&
    typeof v.pair === 'string' &&
    !!o &&
    Number.isInteger(o.pid) &&
    typeof o.host === 'string' &&
    typeof o.run === 'string' &&
    (o.pidStart === undefined || typeof o.pidStart === 'string') &&
    (v.keptUntil === undefined || typeof v.keptUntil === 'string')
  );
}

/** Parses a schema's or database's comment: pgdock's mark, or undefined (malformed marks are not ours). */
export function parseMark(text: string | null | undefined): SchemaMark | undefined {
  try {
    const mark: unknown = text ? JSON.parse(text) : undefined;
    return isSchemaMark(mark) ? mark : undefined;
  } catch {
    return undefined;
  }
}

/** What every pair receives before a test sees it. */
export interface PairSetup {
  /** SQL files run with `search_path` set to the source schema. */
  sourceFiles: string[];
  /** SQL files run with `search_path` set to the destination schema. */
  destinationFiles: string[];
  /** A module whose default export `(sql, { source, destination })` runs inside the same transaction. */
  module?: string;
  /** Hash of all of the above (file contents included): pools of another key are never served. */
  key: string;
}

export type SetupFunction = (sql: TransactionSql, pair: SchemaPairNames) => Promise<void>;

/** Whether a schema's (or database's) owner process still runs; another host's owner counts as alive. */
export function ownerAlive(owner: SchemaOwner): boolean {
  return isRecordedProcessAlive({ pid: owner.pid, pidStart: owner.pidStart, hostname: owner.host }, hostname());
}

export function assertPlain(...names: string[]): void {
  for (const n of names) if (!isPlainIdentifier(n)) throw new TypeError(`pgdock: refusing to use ${JSON.stringify(n)} as a schema name`);
}

/** A SQL string literal. */
export function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** One SQL text that drops schemas with CASCADE, and the replication slots and publications named after them. */
export function dropSql(schemas: string[]): string {
  assertPlain(...schemas);
  if (schemas.length === 0) return 'select 1';
  const patterns = `array[${schemas.map((s) => literal(`%${s}%`)).join(', ')}]`;
  return `do $pgdock$
declare r record;
begin
  for r in select slot_name, active_pid from pg_replication_slots where slot_name like any (${patterns}) loop
    if r.active_pid is not null then perform pg_terminate_backend(r.active_pid); end if;
    perform pg_drop_replication_slot(r.slot_name);
  end loop;
  for r in select pubname from pg_publication where pubname like any (${patterns}) loop
    execute format('drop publication %I', r.pubname);
  end loop;
  drop schema if exists ${schemas.join(', ')} cascade;
end $pgdock$`;
}

function markSql(schema: string, mark: SchemaMark): string {
  return `comment on schema ${schema} is ${literal(JSON.stringify(mark))}`;
}

/** Reads every schema pgdock marked on this server. */
export async function listMarkedSchemas(sql: Sql): Promise<Array<{ name: string; mark: SchemaMark }>> {
  const rows = await sql<{ name: string; mark: string }[]>`
    select nspname as name, obj_description(oid, 'pg_namespace') as mark
    from pg_namespace where obj_description(oid, 'pg_namespace') like '{"pgdock":1,%'`;
  const out: Array<{ name: string; mark: SchemaMark }> = [];
  for (const row of rows) {
    const mark = parseMark(row.mark);
    if (mark) out.push({ name: row.name, mark });
  }
  return out;
}

/** Seconds a sweep waits for a lock on a doomed schema before leaving it for a later sweep. */
const SWEEP_LOCK_TIMEOUT = '5s';

/**
 * One SQL text that drops doomed schemas whatever was done to them: sessions holding locks on
 * their tables (a process the dead owner left, an open transaction) are ended first; objects owned
 * by other roles go with CASCADE (the admin is a superuser on servers pgdock starts); a lock it
 * still cannot get fails the text after {@link SWEEP_LOCK_TIMEOUT} instead of hanging the run.
 */
function sweepSql(schemas: string[]): string {
  const names = `array[${schemas.map(literal).join(', ')}]::text[]`;
  return [
    `select set_config('lock_timeout', ${literal(SWEEP_LOCK_TIMEOUT)}, true)`,
    `select pg_terminate_backend(l.pid) from pg_locks l join pg_class c on c.oid = l.relation join pg_namespace n on n.oid = c.relnamespace
      where l.pid <> pg_backend_pid() and l.database = (select oid from pg_database where datname = current_database()) and n.nspname = any (${names})`,
    dropSql(schemas),
  ].join(';\n');
}

/**
 * Drops what nobody will use again: schemas of dead owners on this host (never a live run's),
 * kept failures past their expiry, and anything `extra` selects. Returns the dropped names. All in
 * one round trip; if that fails, pair by pair, and a pair that cannot go is logged (DEBUG) and left
 * for a later sweep. Never throws.
 */
export async function sweepSchemas(sql: Sql, extra: (mark: SchemaMark) => boolean = () => false): Promise<string[]> {
  const now = Date.now();
  const doomed: Array<{ name: string; mark: SchemaMark }> = [];
  try {
    for (const schema of await listMarkedSchemas(sql)) {
      const { mark } = schema;
      try {
        if (mark.state === 'kept' ? Date.parse(mark.keptUntil ?? '') < now : !ownerAlive(mark.owner) || extra(mark)) doomed.push(schema);
      } catch {
        // a malformed mark: not ours
      }
    }
  } catch (err) {
    log('could not list schemas to sweep: %s', (err as Error).message);
    return [];
  }
  if (doomed.length === 0) return [];
  const all = doomed.map((s) => s.name);
  try {
    await sql.unsafe(sweepSql(all));
    log('swept %d schema(s)', all.length);
    return all;
  } catch (err) {
    log('sweeping %d schema(s) at once failed (%s); one pair at a time', all.length, (err as Error).message);
  }
  const pairs = new Map<string, string[]>();
  for (const { name, mark } of doomed) pairs.set(String(mark.pair), [...(pairs.get(String(mark.pair)) ?? []), name]);
  const dropped: string[] = [];
  for (const names of pairs.values()) {
    try {
      await sql.unsafe(sweepSql(names));
      dropped.push(...names);
    } catch (err) {
      log('could not drop schema(s) %s (left for a later sweep): %s', names.join(', '), (err as Error).message);
    }
  }
  if (dropped.length) log('swept %d schema(s)', dropped.length);
  return dropped;
}

/**
 * A small pool of prepared schema pairs for one process: pairs are built ahead of time in the
 * background (setup included) so a test only claims one with a rename.
 */
export class SchemaPool {
  private readonly ready: SchemaPairNames[] = [];
  private readonly dropping: Array<{ names: SchemaPairNames; done: () => void; failed: (err: Error) => void }> = [];
  private readonly lanes = new Set<Promise<void>>();
  /** Claims waiting for a pair being built right now (the pool ran dry); a failed build fails them at once. */
  private readonly waiters: Array<{ take: (pair: SchemaPairNames) => void; fail: (err: Error) => void }> = [];
  /** Set while the last background build failed: building ahead stops (claims build, and fail, on their own) until one succeeds. */
  private buildFailed = false;
  private inFlight = 0;
  private closed = false;
  private setupFn: SetupFunction | undefined;

  /**
   * @param claimSql - a client kept free for claims, so a claim never waits behind a fill
   * @param workSql - a client for background fills and drops
   */
  constructor(
    private readonly claimSql: Sql,
    private readonly workSql: Sql,
    private readonly setup: PairSetup,
    private readonly owner: SchemaOwner,
    private readonly size: number,
  ) {}

  private mark(state: SchemaMark['state'], pair: string, keptUntil?: string): SchemaMark {
    const mark: SchemaMark = { pgdock: 1, state, owner: this.owner, key: this.setup.key, pair };
    if (keptUntil) mark.keptUntil = keptUntil;
    return mark;
  }

  private async loadSetup(): Promise<SetupFunction | undefined> {
    if (!this.setup.module) return undefined;
    if (!this.setupFn) {
      this.setupFn = await loadSetupFunction<SetupFunction>(this.setup.module, 'pair setup module', '(sql, { source, destination })');
    }
    return this.setupFn;
  }

  /** Creates a pair with its setup in one transaction (one round trip unless a setup module runs), marked with `state`. */
  private async build(sql: Sql, names: SchemaPairNames, state: SchemaMark['state']): Promise<void> {
    assertPlain(names.source, names.destination);
    const setupFn = await this.loadSetup();
    const mark = this.mark(state, names.source);
    // A multi-statement simple query runs as one implicit transaction: all of it or none of it.
    const setup = assembleSetupText([
      `create schema ${names.source}; create schema ${names.destination}`,
      `${markSql(names.source, mark)}; ${markSql(names.destination, mark)}`,
      ...(this.setup.sourceFiles.length ? [`set search_path to ${names.source}`, ...setupFileParts('sourceSetup', this.setup.sourceFiles)] : []),
      ...(this.setup.destinationFiles.length ? [`set search_path to ${names.destination}`, ...setupFileParts('destinationSetup', this.setup.destinationFiles)] : []),
      'reset search_path',
    ]);
    const run = (target: Sql | TransactionSql) => target.unsafe(setup.text).catch((err: unknown) => Promise.reject(explainSetupError(err, setup)));
    if (!setupFn) {
      await run(sql);
      return;
    }
    await sql.begin(async (tx) => {
      await run(tx);
      await setupFn(tx, names);
    });
  }

  /** Whether pairs need building ahead: with no setup, creating one costs what renaming one does. */
  private get prebuild(): boolean {
    return this.setup.sourceFiles.length + this.setup.destinationFiles.length > 0 || this.setup.module !== undefined;
  }

  /**
   * The next background job: refilling first (a test may be waiting for it), then one drop. The
   * helper lane only refills, and only a pool below half: on a small machine it otherwise costs
   * claims more than it saves them.
   */
  private nextJob(helper = false): (() => Promise<void>) | undefined {
    const low = helper ? this.ready.length < this.size / 2 : true;
    if (!this.closed && this.prebuild && !this.buildFailed && low && this.ready.length + this.inFlight < this.size) {
      this.inFlight++;
      return async () => {
        const nonce = createNonce();
        const names = { source: `pgdock_pool_${nonce}_s`, destination: `pgdock_pool_${nonce}_d` };
        try {
          await this.build(this.workSql, names, 'pool');
        } catch (err) {
          // Those waiting for this pair get the build's own error now, not a timeout later.
          this.buildFailed = true;
          for (const waiter of this.waiters.splice(0)) waiter.fail(err as Error);
          throw err;
        } finally {
          this.inFlight--;
        }
        const waiter = this.waiters.shift();
        if (waiter) waiter.take(names);
        else this.ready.push(names);
      };
    }
    const drop = helper ? undefined : this.dropping.shift();
    if (!drop) return undefined;
    return async () => {
      try {
        await this.workSql.unsafe(dropSql([drop.names.source, drop.names.destination]));
        drop.done();
      } catch (err) {
        drop.failed(err as Error);
      }
    };
  }

  /** Runs background jobs on up to {@link LANES} connections until there is nothing left to do. */
  private pump(): Promise<void> {
    while (this.lanes.size < LANES) {
      const helper = this.lanes.size > 0;
      const first = this.nextJob(helper);
      if (!first) break;
      const lane = this.runLane(first, helper);
      this.lanes.add(lane);
      void lane.finally(() => this.lanes.delete(lane));
    }
    return Promise.all([...this.lanes]).then(() => {});
  }

  private async runLane(first: () => Promise<void>, helper: boolean): Promise<void> {
    try {
      for (let job: (() => Promise<void>) | undefined = first; job; job = this.nextJob(helper)) await job();
    } catch (err) {
      log('pool fill failed: %s', (err as Error).message);
    }
  }

  /** Tops the pool up in the background. */
  fill(): Promise<void> {
    return this.pump();
  }

  /** Gives the test its pair under its own names: a rename of a prepared pair, else a fresh build. */
  async claim(names: SchemaPairNames): Promise<'pool' | 'built'> {
    assertPlain(names.source, names.destination);
    // Pool dry but a pair is being built: taking it beats building a second one beside it.
    const prepared =
      this.ready.shift() ??
      (this.inFlight > this.waiters.length ? await new Promise<SchemaPairNames>((take, fail) => this.waiters.push({ take, fail })) : undefined);
    try {
      if (!prepared) {
        await this.build(this.claimSql, names, 'claimed');
        this.buildFailed = false;
        return 'built';
      }
      const claimed = this.mark('claimed', names.source);
      await this.claimSql.unsafe(`alter schema ${prepared.source} rename to ${names.source};
        alter schema ${prepared.destination} rename to ${names.destination};
        ${markSql(names.source, claimed)}; ${markSql(names.destination, claimed)}`);
      return 'pool';
    } finally {
      // Refill after the claim, not during it: on a small machine they would compete.
      void this.pump().catch(() => {});
    }
  }

  /**
   * Drops the pair (with its slots and publications) in the background, or keeps it marked with an
   * expiry. Resolves once that is done; nobody needs to wait for it.
   */
  release(names: SchemaPairNames, keep?: { forMs: number }): Promise<void> {
    assertPlain(names.source, names.destination);
    if (keep) {
      const kept = this.mark('kept', names.source, new Date(Date.now() + keep.forMs).toISOString());
      return this.workSql.unsafe(`${markSql(names.source, kept)}; ${markSql(names.destination, kept)}`).then(() => {});
    }
    return new Promise<void>((done, failed) => {
      this.dropping.push({ names, done, failed });
      void this.pump().catch(() => {});
    });
  }

  /** Stops filling, finishes pending drops and drops the prepared pairs nobody claimed. */
  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter.fail(new Error('the schema pool closed'));
    await this.pump();
    const left = this.ready.splice(0).flatMap((p) => [p.source, p.destination]);
    if (left.length) await this.workSql.unsafe(dropSql(left));
  }

}
