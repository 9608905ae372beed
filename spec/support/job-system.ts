// The job-system fixture (fixtures/job-system) driven from a test: its processes started with
// startProcess and tagged with a marker, its jobs queued and watched through the test's own pair.
import { join } from 'node:path';
import { startProcess, type PgContext, type StartedProcess } from '../../lib/index.js';
import { REPO_ROOT } from './paths.js';

const FIXTURE = join(REPO_ROOT, 'fixtures', 'job-system');

export type JobState = 'queued' | 'assigned' | 'running' | 'completed' | 'failed' | 'cancelled';

/** One test's job system: its coordinator(s) and workers, its jobs in the test's source schema. */
export class JobSystem {
  private readonly started: StartedProcess[] = [];

  constructor(private readonly pg: PgContext, private readonly marker: string) {}

  /** Starts a coordinator and resolves once it listens; `address` is what workers connect to. */
  async coordinator(env: Record<string, string> = {}): Promise<{ process: StartedProcess; address: string }> {
    const process = await this.start('coordinator', 'coordinator.js', {
      SOURCE_SCHEMA: this.pg.source, DESTINATION_SCHEMA: this.pg.destination, POLL_MS: '50', ...env,
    }, /coordinator listening on (\S+)/);
    const address = process.ready?.[1];
    if (!address) throw new Error(`the coordinator's ready line named no address:\n${process.output()}`);
    return { process, address };
  }

  /** Starts worker `name` and resolves once it is connected to the coordinator at `address`. */
  worker(name: string, address: string, env: Record<string, string> = {}): Promise<StartedProcess> {
    return this.start(`worker ${name}`, 'worker.js', {
      COORDINATOR_ADDRESS: address, WORKER_NAME: name, RECONNECT_MS: '20000', ...env,
    }, new RegExp(`worker ${name} connected to`));
  }

  private async start(name: string, file: string, env: Record<string, string>, log: RegExp): Promise<StartedProcess> {
    const started = await startProcess({
      name,
      command: process.execPath,
      args: [join(FIXTURE, file), `--spec-marker=${this.marker}`],
      env: { DATABASE_URL: this.pg.url, ...env },
      ready: { log },
    });
    this.started.push(started);
    return started;
  }

  /** Queues a job; resolves with its id. */
  async queue(kind: string, payload: Record<string, unknown> = {}): Promise<number> {
    const { sql, source } = this.pg;
    const [row] = await sql<{ id: string }[]>`insert into ${sql(source)}.jobs (kind, payload) values (${kind}, ${sql.json(payload as never)}) returning id`;
    return Number(row!.id);
  }

  async requestCancel(id: number): Promise<void> {
    await this.pg.sql`update ${this.pg.sql(this.pg.source)}.jobs set cancel_requested = true where id = ${id}`;
  }

  /** The job's state and worker now. */
  async state(id: number): Promise<{ state: JobState; worker: string | null }> {
    const [row] = await this.pg.sql<{ state: JobState; worker: string | null }[]>`select state, worker from ${this.pg.sql(this.pg.source)}.jobs where id = ${id}`;
    if (!row) throw new Error(`no job ${id}`);
    return row;
  }

  /** Resolves with the ms it took job `id` to reach `state`; on timeout, fails with the job's events and the processes' output. */
  async waitFor(id: number, state: JobState, timeoutMs = 20_000): Promise<number> {
    const start = Date.now();
    while (Date.now() - start < timeoutMs) {
      if ((await this.state(id)).state === state) return Date.now() - start;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`job ${id} did not reach ${state} within ${timeoutMs} ms: ${await this.describe(id)}`);
  }

  /** The job's state changes, in order: a query for pgdock/chai (`.ordered.rows`). */
  events(id: number) {
    const { sql, source } = this.pg;
    return sql`select from_state, to_state, worker, reason from ${sql(source)}.job_events where job_id = ${id} order by id`;
  }

  private async describe(id: number): Promise<string> {
    const events = await this.events(id);
    const lines = events.map((e) => `${e.from_state} → ${e.to_state} (${e.worker ?? '-'}${e.reason ? `, ${e.reason}` : ''})`);
    const output = this.started.map((p) => p.output()).join('\n');
    const [job] = await this.pg.sql`select state, worker, attempts, error from ${this.pg.sql(this.pg.source)}.jobs where id = ${id}`;
    return `${JSON.stringify(job)}\nevents:\n${lines.join('\n')}\noutput:\n${output}`;
  }
}
