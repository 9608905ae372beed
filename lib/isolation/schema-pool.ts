// Covered by spec/integration/isolation/schema-pool.spec.ts and schema-pool-model.spec.ts.
import type { Sql, TransactionSql } from 'postgres';
import { createDebug } from '../debug.js';
import { count, sample } from '../metrics/process-metrics.js';
import { keptMark, markSql, type SchemaMark, type SchemaOwner } from './marks.js';
import { poolPairNames, type SchemaPairNames } from './names.js';
import { assembleSetupText, explainSetupError, loadSetupFunction, setupFileParts, type PairSetup, type SetupFunction } from './setup.js';
import { assertPlain, dropSchemasSql } from './sql.js';

const log = createDebug('pairs');
/** Background jobs run on this many connections at once (the client passed as workSql needs as many). */
const LANES = 2;

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
   * @param names - what a pair is built under: pool names renamed on claim, or (with `eager`) the
   *   names a test gets as they are ({@link take})
   * @param eager - build ahead even with no setup (a taken pair costs no round trip then)
   */
  constructor(
    private readonly claimSql: Sql,
    private readonly workSql: Sql,
    private readonly setup: PairSetup,
    private readonly owner: SchemaOwner,
    private readonly size: number,
    private readonly names: () => SchemaPairNames = poolPairNames,
    private readonly eager = false,
  ) {}

  private mark(state: SchemaMark['state'], pair: string): SchemaMark {
    return { pgdock: 1, state, owner: this.owner, key: this.setup.key, pair };
  }

  /** Both schemas of a pair marked alike, in one SQL text. */
  private markPairSql(names: SchemaPairNames, mark: SchemaMark): string {
    return `${markSql('schema', names.source, mark)}; ${markSql('schema', names.destination, mark)}`;
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
    const started = performance.now();
    await this.buildNow(sql, names, state);
    count('pairsMade');
    sample('buildMs', performance.now() - started);
  }

  private async buildNow(sql: Sql, names: SchemaPairNames, state: SchemaMark['state']): Promise<void> {
    assertPlain(names.source, names.destination);
    const setupFn = await this.loadSetup();
    const mark = this.mark(state, names.source);
    // A multi-statement simple query runs as one implicit transaction: all of it or none of it.
    const setup = assembleSetupText([
      `create schema ${names.source}; create schema ${names.destination}`,
      this.markPairSql(names, mark),
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
    return this.eager || this.setup.sourceFiles.length + this.setup.destinationFiles.length > 0 || this.setup.module !== undefined;
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
        const names = this.names();
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
        await this.workSql.unsafe(dropSchemasSql([drop.names.source, drop.names.destination]));
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
        ${this.markPairSql(names, claimed)}`);
      return 'pool';
    } finally {
      // Refill after the claim, not during it: on a small machine they would compete.
      void this.pump().catch(() => {});
    }
  }

  /** How many prepared pairs {@link take} could hand out now. */
  get readyCount(): number {
    return this.ready.length;
  }

  /**
   * A prepared pair now, with no round trip: handed out under the names it was built with (undefined
   * when none is ready; {@link whenReady} waits for one). The pool refills in the background.
   */
  take(): SchemaPairNames | undefined {
    const pair = this.ready.shift();
    // The refill starts on the next turn of the event loop, off the caller's synchronous path (it reads the setup files).
    setImmediate(() => void this.pump().catch(() => {}));
    return pair;
  }

  /** Resolves once {@link take} has a pair, building one if none is under way; rejects with the build's error. */
  async whenReady(): Promise<void> {
    if (this.ready.length > 0) return;
    if (this.closed) throw new Error('the schema pool closed');
    if (!this.prebuild || this.size < 1) throw new Error('this schema pool builds no pairs ahead');
    this.buildFailed = false; // asked for: try again
    // The next pair built goes to this waiter (refills come before drops): no wait for the drops queued beside it.
    const pair = new Promise<SchemaPairNames>((take, fail) => this.waiters.push({ take, fail }));
    void this.pump().catch(() => {});
    this.ready.unshift(await pair);
  }

  /**
   * Drops the pair (with its slots and publications) in the background, or keeps it marked with an
   * expiry, renamed to `keepAs` if given (its former names in the mark, for the sweep that drops it
   * later: slots and publications are found by name). Resolves once that is done; nobody needs to wait for it.
   */
  release(names: SchemaPairNames, keep?: { forMs: number }, keepAs?: SchemaPairNames): Promise<void> {
    assertPlain(names.source, names.destination);
    if (keep) {
      const kept = keepAs ?? names;
      assertPlain(kept.source, kept.destination);
      const mark = keptMark({ ...this.mark('claimed', kept.source), ...(keepAs ? { schemas: [names.source, names.destination] } : {}) }, keep.forMs);
      const rename = keepAs ? `alter schema ${names.source} rename to ${kept.source}; alter schema ${names.destination} rename to ${kept.destination}; ` : '';
      return this.workSql.unsafe(`${rename}${this.markPairSql(kept, mark)}`).then(() => {});
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
    const unused = this.ready.splice(0);
    const left = unused.flatMap((p) => [p.source, p.destination]);
    if (left.length) await this.workSql.unsafe(dropSchemasSql(left));
    count('pairsUnused', unused.length);
  }
}
