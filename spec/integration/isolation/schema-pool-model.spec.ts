import { expect } from 'chai';
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import type { Sql } from 'postgres';
import { listMarked } from '../../../lib/isolation/marks.js';
import { dropSchemasSql } from '../../../lib/isolation/sql.js';
import { sweepSchemas } from '../../../lib/isolation/sweep.js';
import { schemaPairNames } from '../../../lib/isolation/names.js';

const workerScript = fileURLToPath(new URL('../../support/pool-worker.js', import.meta.url));

interface Pair {
  source: string;
  destination: string;
}

interface Model {
  alive: Map<number, Pair[]>;
  /** Workers killed since the last start: their schemas may linger until a new worker starts. */
  deadUnswept: Set<number>;
  orphans: Set<string>;
  kept: Set<string>;
}

class Worker {
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: { ok: boolean; error?: string }) => void>();
  private constructor(readonly child: ChildProcess) {
    child.on('message', (reply: { id: number; ok: boolean; error?: string }) => {
      this.waiting.get(reply.id)?.(reply);
      this.waiting.delete(reply.id);
    });
  }

  static start(url: string, run: string, key: string): Promise<Worker> {
    const child = fork(workerScript, [JSON.stringify({ url, run, key, size: 1 })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const worker = new Worker(child);
    return new Promise((resolve, reject) => {
      worker.waiting.set(0, (r) => (r.ok ? resolve(worker) : reject(new Error(r.error))));
      child.once('exit', (code) => reject(new Error(`pool worker exited ${code}`)));
    });
  }

  send(message: Record<string, unknown>): Promise<void> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (r) => (r.ok ? resolve() : reject(new Error(r.error))));
      this.child.send({ ...message, id });
    });
  }

  kill(): Promise<void> {
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGKILL');
    });
  }
}

interface Real {
  sql: Sql;
  url: string;
  run: string;
  key: string;
  workers: Map<number, Worker>;
  nextWorker: number;
}

/** After every command: nothing live was dropped, nothing unknown lingers. */
async function check(m: Model, r: Real): Promise<void> {
  const marked = (await listMarked(r.sql, 'schema')).filter((s) => s.mark.key === r.key);
  const present = new Set(marked.map((s) => s.name));
  const live = [...m.alive.values()].flat().flatMap((p) => [p.source, p.destination]);
  for (const name of [...live, ...m.kept]) expect(present.has(name), `live schema ${name} still there`).to.equal(true);
  const pids = new Map([...r.workers].map(([id, w]) => [w.child.pid, id]));
  for (const { name, mark } of marked) {
    if (mark.state === 'kept') expect(m.kept.has(name), `kept ${name} is one we kept`).to.equal(true);
    else if (mark.state === 'claimed') expect(live.includes(name) || m.orphans.has(name), `claimed ${name} is known`).to.equal(true);
    else {
      const owner = pids.get(mark.owner.pid);
      expect(owner !== undefined && (m.alive.has(owner) || m.deadUnswept.has(owner)), `pool schema ${name} has a live or unswept owner`).to.equal(true);
    }
  }
}

type Cmd = fc.AsyncCommand<Model, Real>;

class StartWorker implements Cmd {
  check = (m: Model) => m.alive.size < 3;
  async run(m: Model, r: Real) {
    const id = r.nextWorker++;
    r.workers.set(id, await Worker.start(r.url, r.run, r.key));
    m.alive.set(id, []);
    m.deadUnswept.clear();
    m.orphans.clear();
    await check(m, r);
  }
  toString = () => 'start worker';
}

class Allocate implements Cmd {
  constructor(readonly pick: number, readonly title: string) {}
  check = (m: Model) => m.alive.size > 0;
  async run(m: Model, r: Real) {
    const id = [...m.alive.keys()][this.pick % m.alive.size]!;
    const names = schemaPairNames(this.title);
    await r.workers.get(id)!.send({ type: 'claim', names });
    m.alive.get(id)!.push(names);
    await check(m, r);
  }
  toString = () => `allocate(${this.pick}, ${JSON.stringify(this.title)})`;
}

class Use implements Cmd {
  constructor(readonly pick: number) {}
  check = (m: Model) => [...m.alive.values()].some((p) => p.length > 0);
  async run(m: Model, r: Real) {
    const pairs = [...m.alive.values()].flat();
    const pair = pairs[this.pick % pairs.length]!;
    await r.sql.unsafe(`create table if not exists ${pair.source}.t (v int); insert into ${pair.source}.t values (1)`);
    await r.sql.unsafe(`create table if not exists ${pair.destination}.t as select * from ${pair.source}.t`);
    await check(m, r);
  }
  toString = () => `use(${this.pick})`;
}

class Release implements Cmd {
  constructor(readonly pick: number, readonly keep: boolean) {}
  check = (m: Model) => [...m.alive.values()].some((p) => p.length > 0);
  async run(m: Model, r: Real) {
    const owners = [...m.alive].filter(([, p]) => p.length > 0);
    const [id, pairs] = owners[this.pick % owners.length]!;
    const pair = pairs.splice(this.pick % pairs.length, 1)[0]!;
    await r.workers.get(id)!.send({ type: 'release', names: pair, ...(this.keep ? { keepForMs: 3_600_000 } : {}) });
    if (this.keep) m.kept.add(pair.source).add(pair.destination);
    await check(m, r);
  }
  toString = () => `release(${this.pick}${this.keep ? ', keep on failure' : ''})`;
}

class KillWorker implements Cmd {
  constructor(readonly pick: number) {}
  check = (m: Model) => m.alive.size > 0;
  async run(m: Model, r: Real) {
    const id = [...m.alive.keys()][this.pick % m.alive.size]!;
    await r.workers.get(id)!.kill();
    for (const p of m.alive.get(id)!) m.orphans.add(p.source).add(p.destination);
    m.alive.delete(id);
    m.deadUnswept.add(id);
    await check(m, r);
  }
  toString = () => `kill worker(${this.pick})`;
}

describe('schema pool, model-based against the real server (fast-check)', function () {
  this.timeout(300_000);

  it('allocate / use / release / kill worker / keep on failure never leak a schema and never drop a live one', async function () {
    const sql = this.pg.sql;
    const url = this.pg.url;
    const commands = [
      fc.constant(new StartWorker()),
      fc.tuple(fc.nat(), fc.string({ maxLength: 80 })).map(([p, t]) => new Allocate(p, t)),
      fc.nat().map((p) => new Use(p)),
      fc.tuple(fc.nat(), fc.boolean()).map(([p, k]) => new Release(p, k)),
      fc.nat().map((p) => new KillWorker(p)),
    ];
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 20 }), async (cmds) => {
        const real: Real = { sql, url, run: randomUUID(), key: `model-${randomUUID().slice(0, 8)}`, workers: new Map(), nextWorker: 0 };
        const model: Model = { alive: new Map<number, Pair[]>(), deadUnswept: new Set<number>(), orphans: new Set<string>(), kept: new Set<string>() };
        try {
          await fc.asyncModelRun(() => ({ model, real }), cmds);
          // The end of the run: every worker gone, then the next start's sweep. Only kept pairs remain.
          for (const w of real.workers.values()) if (w.child.exitCode === null && w.child.signalCode === null) await w.kill();
          await sweepSchemas(sql);
          const left = (await listMarked(sql, 'schema')).filter((s) => s.mark.key === real.key).map((s) => s.name);
          expect(new Set(left), 'leaked or lost').to.deep.equal(model.kept);
        } finally {
          for (const w of real.workers.values()) if (w.child.exitCode === null && w.child.signalCode === null) await w.kill();
          const mine = (await listMarked(sql, 'schema')).filter((s) => s.mark.key === real.key).map((s) => s.name);
          if (mine.length) await sql.unsafe(dropSchemasSql(mine));
        }
      }),
      { numRuns: 25 },
    );
  });
});
