/**
 * A real multi-process E2E (issue #19): the job system of fixtures/job-system, a coordinator and
 * its workers started with startProcess and talking over a local socket, their jobs in the test's
 * own source schema, their output in its destination schema, checked with pgdock/chai. Every
 * process carries this file's marker in its argv; the last hook checks that none is left.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobSystem } from '../support/job-system.js';
import { processesWithMarker } from '../support/process-listing.js';
import { shouldFail } from '../support/should-fail.js';
import { expect } from '../support/sql-expect.js';

const MARKER = `pgdock-job-system-spec-${process.pid}-${Date.now().toString(36)}`;

/** The events of a job one worker ran to the end, unhindered. */
const lifecycle = (worker: string, end: 'completed' | 'failed') => [
  { from_state: 'queued', to_state: 'assigned', worker, reason: null },
  { from_state: 'assigned', to_state: 'running', worker, reason: null },
  { from_state: 'running', to_state: end, worker, reason: null },
];

describe('job system E2E: a coordinator and workers as real processes (fixtures/job-system)', function () {
  this.timeout(60_000);
  let jobs: JobSystem;
  let scratch: string | undefined;

  beforeEach(function () {
    jobs = new JobSystem(this.pg, MARKER);
  });

  afterEach(function () {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    scratch = undefined;
  });

  after(function () {
    // Every process started above was stopped at its test's end: none carrying the marker is left.
    expect(processesWithMarker(MARKER)).to.deep.equal([]);
  });

  it('the process listing finds a running fixture process by its marker, and not once it is stopped', async function () {
    const { process: coordinator } = await jobs.coordinator();
    expect(processesWithMarker(MARKER)).to.include(coordinator.pid);
    const exit = await coordinator.stop();
    expect(exit).to.deep.equal({ code: 0, signal: null });
    expect(processesWithMarker(MARKER)).to.deep.equal([]);
  });

  it('a job goes queued → assigned → running → completed (or failed), one job at a time per worker', async function () {
    const { sql, source, destination } = this.pg;
    await sql.unsafe(`create table ${this.pg.table('orders')} (id int primary key, item text, amount numeric);
      insert into ${this.pg.table('orders')} values (1, 'apple', 1.50), (2, 'pear', 2), (3, 'fig', 0.25)`);
    const { address } = await jobs.coordinator();
    const copy = await jobs.queue('copy', { table: 'orders' });
    const fail = await jobs.queue('fail', { message: 'no such customer' });
    const allJobs = () => sql`select id, state, worker, attempts, error, result from ${sql(source)}.jobs order by id`;
    await expect(allJobs()).to.have.ordered.rows([
      { id: copy, state: 'queued', worker: null, attempts: 0, error: null, result: null },
      { id: fail, state: 'queued', worker: null, attempts: 0, error: null, result: null },
    ]);
    // Must fail: a job that never ran has no lifecycle, so the assertion below cannot pass vacuously.
    await shouldFail(expect(jobs.events(copy)).to.have.ordered.rows(lifecycle('w1', 'completed')), 'missing rows (3):');

    const worker = await jobs.worker('w1', address);
    await jobs.waitFor(copy, 'completed');
    await jobs.waitFor(fail, 'failed');
    await expect(jobs.events(copy)).to.have.ordered.rows(lifecycle('w1', 'completed'));
    await expect(jobs.events(fail)).to.have.ordered.rows(lifecycle('w1', 'failed'));
    // One worker, two jobs: the second was assigned only after the first had finished.
    await expect(sql`select job_id, to_state from ${sql(source)}.job_events order by id`).to.have.ordered.rows([
      { job_id: copy, to_state: 'assigned' }, { job_id: copy, to_state: 'running' }, { job_id: copy, to_state: 'completed' },
      { job_id: fail, to_state: 'assigned' }, { job_id: fail, to_state: 'running' }, { job_id: fail, to_state: 'failed' },
    ]);
    await expect(allJobs()).to.have.ordered.rows([
      { id: copy, state: 'completed', worker: 'w1', attempts: 0, error: null, result: { rows: 3 } },
      { id: fail, state: 'failed', worker: 'w1', attempts: 0, error: 'no such customer', result: null },
    ]);
    await expect(sql`select count(*)::int as timed from ${sql(source)}.jobs where finished_at >= started_at`).to.have.rows([{ timed: 2 }]);
    await expect(`${destination}.orders`).to.have.rows([{ id: 1, item: 'apple', amount: '1.5' }, { id: 2, item: 'pear', amount: 2 }, { id: 3, item: 'fig', amount: 0.25 }]);
    // An idle worker exits 0 on SIGTERM, well within the stop grace (no SIGKILL needed).
    expect(await worker.stop()).to.deep.equal({ code: 0, signal: null });
  });

  it('a worker killed mid-job (SIGKILL): its job is re-queued and completed by the other worker', async function () {
    const { address } = await jobs.coordinator();
    const workers = new Map([['w1', await jobs.worker('w1', address)], ['w2', await jobs.worker('w2', address)]]);
    const id = await jobs.queue('slow', { steps: 100, stepMs: 50 });
    await jobs.waitFor(id, 'running');
    const victim = (await jobs.state(id)).worker ?? '';
    const survivor = victim === 'w1' ? 'w2' : 'w1';
    const killed = workers.get(victim);
    expect(killed, `the job runs on one of the workers, not ${victim}`).not.to.equal(undefined);
    killed!.kill('SIGKILL');
    expect(await killed!.exited).to.deep.equal({ code: null, signal: 'SIGKILL' });

    await jobs.waitFor(id, 'completed');
    await expect(jobs.events(id)).to.have.ordered.rows([
      { from_state: 'queued', to_state: 'assigned', worker: victim, reason: null },
      { from_state: 'assigned', to_state: 'running', worker: victim, reason: null },
      { from_state: 'running', to_state: 'queued', worker: victim, reason: `worker ${victim} lost` },
      ...lifecycle(survivor, 'completed'),
    ]);
    await expect(this.pg.sql`select state, worker, attempts from ${this.pg.sql(this.pg.source)}.jobs`)
      .to.have.rows([{ state: 'completed', worker: survivor, attempts: 1 }]);
    // Only the survivor wrote the job's output: the killed run never got that far.
    await expect(this.pg.table('slow_results', 'destination')).to.have.rows([{ job_id: id, worker: survivor, steps: 100 }]);
  });

  it('a cancelled job stops within a bounded time, is marked cancelled, and its worker takes the next job', async function () {
    // The coordinator's own cut-off comes far later than the bound: only the worker stopping meets it.
    const { address } = await jobs.coordinator({ CANCEL_GRACE_MS: '60000' });
    const worker = await jobs.worker('w1', address);
    const long = await jobs.queue('slow', { steps: 1200, stepMs: 50 }); // a minute, unless cancelled
    await jobs.waitFor(long, 'running');
    // While the only worker is busy, a job cancelled in the queue is never handed out.
    const never = await jobs.queue('copy', { table: 'nothing' });
    await jobs.requestCancel(never);
    await jobs.waitFor(never, 'cancelled');
    await expect(jobs.events(never)).to.have.ordered.rows([{ from_state: 'queued', to_state: 'cancelled', worker: null, reason: 'cancel requested' }]);
    expect(await jobs.state(long)).to.deep.equal({ state: 'running', worker: 'w1' });

    await jobs.requestCancel(long);
    const tookMs = await jobs.waitFor(long, 'cancelled', 10_000);
    expect(tookMs, 'a generous bound: the worker checks every 50 ms step').to.be.below(5_000);
    await expect(jobs.events(long)).to.have.ordered.rows([
      ...lifecycle('w1', 'completed').slice(0, 2),
      { from_state: 'running', to_state: 'cancelled', worker: 'w1', reason: 'cancel requested' },
    ]);
    await worker.waitForOutput(new RegExp(`worker w1 finished job ${long}: cancelled`), 5_000);
    await expect(`${this.pg.destination}.slow_results`).not.to.exist; // it wrote no output

    const next = await jobs.queue('slow', { steps: 2, stepMs: 10 });
    await jobs.waitFor(next, 'completed');
    await expect(jobs.events(next)).to.have.ordered.rows(lifecycle('w1', 'completed'));
  });

  for (const how of ['stop', 'SIGKILL'] as const) {
    it(`coordinator restart (${how === 'stop' ? 'stopped' : 'killed with SIGKILL'}, a new one on the same socket): in-flight and queued jobs still complete`, async function () {
      scratch = mkdtempSync(join(tmpdir(), 'pgdock-jobs-'));
      const env = { COORDINATOR_SOCKET: join(scratch, 'coordinator.sock') };
      await this.pg.sql.unsafe(`create table ${this.pg.table('orders')} (id int primary key); insert into ${this.pg.table('orders')} values (1), (2)`);
      const { process: first, address } = await jobs.coordinator(env);
      const workers = [await jobs.worker('w1', address), await jobs.worker('w2', address)];
      // Two workers, two slow jobs taken first (oldest first): the copy job waits in the queue.
      const inFlight = [await jobs.queue('slow', { steps: 100, stepMs: 50 }), await jobs.queue('slow', { steps: 100, stepMs: 50 })];
      const queued = await jobs.queue('copy', { table: 'orders' });
      for (const id of inFlight) await jobs.waitFor(id, 'running');

      if (how === 'stop') expect(await first.stop()).to.deep.equal({ code: 0, signal: null });
      else {
        first.kill('SIGKILL');
        expect(await first.exited).to.deep.equal({ code: null, signal: 'SIGKILL' });
      }
      // What the dead coordinator left: two jobs still marked running (recovery has work to do), one queued.
      for (const id of inFlight) expect(await jobs.state(id)).to.have.property('state', 'running');
      expect(await jobs.state(queued)).to.have.property('state', 'queued');

      const { process: second } = await jobs.coordinator(env);
      await second.waitForOutput(new RegExp(`coordinator recovered 2 job\\(s\\): ${inFlight.join(', ')}`), 1_000);
      for (const id of [...inFlight, queued]) await jobs.waitFor(id, 'completed');
      for (const id of inFlight) {
        await expect(this.pg.sql`select from_state, to_state, reason from ${this.pg.sql(this.pg.source)}.job_events where job_id = ${id} order by id`)
          .to.have.ordered.rows([
            { from_state: 'queued', to_state: 'assigned', reason: null },
            { from_state: 'assigned', to_state: 'running', reason: null },
            { from_state: 'running', to_state: 'queued', reason: 'recovered after a coordinator restart' },
            { from_state: 'queued', to_state: 'assigned', reason: null },
            { from_state: 'assigned', to_state: 'running', reason: null },
            { from_state: 'running', to_state: 'completed', reason: null },
          ]);
      }
      await expect(this.pg.sql`select id, attempts from ${this.pg.sql(this.pg.source)}.jobs order by id`)
        .to.have.ordered.rows([{ id: inFlight[0], attempts: 1 }, { id: inFlight[1], attempts: 1 }, { id: queued, attempts: 0 }]);
      await expect(this.pg.table('orders', 'destination')).to.have.rows([{ id: 1 }, { id: 2 }]);
      for (const worker of workers) await worker.waitForOutput(/lost the coordinator; reconnecting/, 1_000);
    });
  }
});
