import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { expect } from 'chai';
import postgres, { type Sql } from 'postgres';
import { resolveOptions } from '../../lib/config/options.js';
import type { RunIdentity } from '../../lib/coordination/run-identity.js';
import { projectKey, serverPaths } from '../../lib/coordination/server-key.js';
import { acquireServerFor } from '../../lib/server/acquire-server.js';
import { chooseProvider } from '../../lib/server/choose-provider.js';
import { releaseLease } from '../../lib/server/release-server.js';
import { connectionUrl } from '../../lib/server/server-info.js';
import type { RunMetrics } from '../../lib/metrics/run-metrics.js';
import { REPO_ROOT, TEST_IMAGE, scratchRoot } from '../support/paths.js';
import { removeProjectServers } from '../support/server-watch.js';
import { onlyOn, providerEnv } from '../support/spec-provider.js';

const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'docs', 'metrics.schema.json'), 'utf8')) as object;
// `format` keywords are documentation here (ajv checks them only with ajv-formats).
const validate = new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(schema);

/** The DDL every session ran on the database, as the server saw it (event triggers: independent of pgdock's own counting). */
const DDL_LOG = `
create table public.spec_ddl_log (tag text, name text, app text);
create function public.spec_log_ddl() returns event_trigger language plpgsql as $$
declare r record;
begin
  for r in select * from pg_event_trigger_ddl_commands() loop
    insert into public.spec_ddl_log values (r.command_tag, coalesce(r.schema_name, r.object_identity), current_setting('application_name'));
  end loop;
end $$;
create function public.spec_log_drop() returns event_trigger language plpgsql as $$
declare r record;
begin
  for r in select * from pg_event_trigger_dropped_objects() where object_type = 'schema' loop
    insert into public.spec_ddl_log values ('DROP SCHEMA', r.object_name, current_setting('application_name'));
  end loop;
end $$;
create event trigger spec_log_ddl on ddl_command_end execute function public.spec_log_ddl();
create event trigger spec_log_drop on sql_drop execute function public.spec_log_drop();`;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A mocha run of this repository's compiled specs, as a user would start it, with only `env` as pgdock's settings. */
function runMocha(args: string[], env: Record<string, string>): Promise<Ran> {
  const clean: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PGDOCK_') && !k.startsWith('MOCHA_') && k !== 'DEBUG') clean[k] = v;
  const child = spawn(process.execPath, [join(REPO_ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js'), '--no-config', '--require', 'dist/hooks/register.js', ...args], {
    cwd: REPO_ROOT,
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const summaryLines = (stderr: string): string[] => stderr.split('\n').filter((line) => /^pgdock: .* server (cold|warm)|^pgdock: no server used/.test(line));

describe('run metrics: what a run did, said once at its end', function () {
  this.timeout(240_000);
  let root = '';
  let env: Record<string, string>;
  let admin: Sql | undefined;
  let release: (() => Promise<void>) | undefined;

  beforeEach(function () {
    onlyOn(this, ['docker', 'embedded'], 'how a run counts does not depend on the server; the external phase shares one server with every spec, and these runs would add to it');
    mkdirSync(scratchRoot(), { recursive: true });
    root = mkdtempSync(join(scratchRoot(), 'metrics-'));
    // A project of its own (its own server), so the server's DDL log holds only this run's work.
    env = {
      ...providerEnv(),
      PGDOCK_IMAGE: TEST_IMAGE,
      PGDOCK_PROJECT_ROOT: root,
      PGDOCK_STATE_DIR: join(root, 'state'),
      PGDOCK_FIXTURES_DIR: join(REPO_ROOT, 'fixtures'),
      PGDOCK_POSTGRES_ARGS: '-c wal_level=logical', // as this repository's package.json#pgdock: the cdc pipelines need it
      PGDOCK_REUSE: 'false',
      PGDOCK_METRICS_FILE: join(root, 'reports', 'pgdock-metrics.json'),
    };
  });

  afterEach(async function () {
    await admin?.end({ timeout: 1 });
    admin = undefined;
    await release?.();
    release = undefined;
    if (!root) return; // skipped before it made anything
    await removeProjectServers(projectKey(resolveOptions({}, env, root)));
    rmSync(root, { recursive: true, force: true });
    root = '';
  });

  /** Holds the project's server from this process (the runs attach to it), with the DDL log installed. */
  async function holdServerWithDdlLog(): Promise<Sql> {
    const options = resolveOptions({}, env, root);
    const run: RunIdentity = { runId: randomUUID(), ownerPid: process.pid, managed: false };
    const server = await acquireServerFor(options, run);
    const chosen = await chooseProvider(options, run);
    release = async () => void (await releaseLease(serverPaths(chosen).dir, run.runId, options));
    admin = postgres(connectionUrl(server), { max: 1, onnotice: () => {} });
    await admin.unsafe(DDL_LOG);
    return admin;
  }

  it('a --parallel --jobs 4 run of the pipeline suite prints one summary line whose pair counts are what the server saw', async function () {
    const sql = await holdServerWithDdlLog();
    const ran = await runMocha(['--parallel', '--jobs', '4', '--timeout', '60000', '--reporter', 'dot', 'dist/spec/e2e/pipelines/*.spec.js'], env);
    expect(ran.code, `${ran.stdout}\n${ran.stderr}`).to.equal(0);
    const lines = summaryLines(ran.stderr);
    expect(lines, ran.stderr).to.have.length(1);
    const metrics = JSON.parse(readFileSync(env.PGDOCK_METRICS_FILE!, 'utf8')) as RunMetrics;
    expect(validate(metrics), JSON.stringify(validate.errors)).to.equal(true);

    // Made: schemas the server saw created. Never claimed: built ahead, untouched by any test (no DDL
    // of their own) and dropped by the end-of-run sweep. Claimed: the rest.
    const [seen] = await sql<[{ made: number; unused: number; swept: number }]>`
      with src as (select distinct name from public.spec_ddl_log where tag = 'CREATE SCHEMA' and name like 'src\\_%')
      select (select count(*) from src)::int as made,
             (select count(*) from src where
                exists (select 1 from public.spec_ddl_log l where l.name = src.name and l.tag = 'DROP SCHEMA' and l.app like 'pgdock sweep %')
                and not exists (select 1 from public.spec_ddl_log l where l.name = src.name and l.tag not in ('CREATE SCHEMA', 'COMMENT', 'DROP SCHEMA')))::int as unused,
             (select count(*) from public.spec_ddl_log where tag = 'DROP SCHEMA' and app like 'pgdock sweep %')::int as swept`;
    expect(metrics.testProcesses).to.equal(4);
    expect(metrics.pairs.made, 'pairs made: pgdock says, the server saw').to.equal(seen.made);
    // A pair a test claimed and left untouched, whose drop mocha's end of the worker cut short, looks
    // unused to the server (the sweep dropped it): at most one such per test process.
    const claimedSeen = seen.made - seen.unused;
    expect(metrics.pairs.claimed, `pairs claimed: pgdock says, the server saw ${claimedSeen} (+ at most one per process)`).to.be.within(claimedSeen, claimedSeen + metrics.testProcesses);
    expect(seen.unused, 'some pairs were built ahead and never used: the check above can tell them apart').to.be.greaterThan(0);
    expect(metrics.swept, 'schemas the end-of-run sweep dropped').to.equal(seen.swept);
    expect(metrics.pairs.leaked).to.equal(0);
    expect(metrics.pairs.dropped + metrics.pairs.kept).to.equal(metrics.pairs.claimed);
    expect(metrics.claimMs.count).to.equal(metrics.pairs.claimed);
    expect(lines[0]).to.include(`pairs: ${seen.made} made, ${metrics.pairs.claimed} claimed, 0 kept, 0 leaked`);
    expect(metrics.server).to.include({ start: 'warm' });
    expect(metrics.postgres?.since).to.equal('run start');
    expect(metrics.postgres!.rowsInserted, 'the pipelines wrote rows').to.be.greaterThan(0);
  });

  it('the JSON shape refuses a record that is not one (must fail)', function () {
    expect(validate({ version: 1, runId: 'x' })).to.equal(false);
    expect(validate({ version: 2 })).to.equal(false);
  });

  const budgetSpec = `describe('claims', function () {
  for (let i = 0; i < 6; i++) it('claims pair ' + i, async function () { await this.pg.sql\`select 1 from pg_namespace where nspname = \${this.pg.source}\`; });
});
`;

  it('the budget gate fails a run whose claim p95 limit is below what it achieved, with the figures, and passes it otherwise', async function () {
    mkdirSync(join(root, 'spec'), { recursive: true });
    const file = join(root, 'spec', 'claims.spec.mjs');
    (await import('node:fs')).writeFileSync(file, budgetSpec);
    const over = await runMocha(['--timeout', '60000', file], { ...env, PGDOCK_BUDGET_CLAIM_P95_MS: '0' });
    const overMetrics = JSON.parse(readFileSync(env.PGDOCK_METRICS_FILE!, 'utf8')) as RunMetrics;
    expect(over.stdout).to.include('6 passing');
    expect(over.code, 'every test passed, but the budget was exceeded').to.not.equal(0);
    expect(over.stderr).to.include('ERR_PGDOCK_BUDGET_EXCEEDED');
    expect(over.stderr).to.include(`pair claim p95 (6 claims) was ${overMetrics.claimMs.p95} ms, over the limit of 0 ms`);
    expect(over.stderr.match(/ERR_PGDOCK_BUDGET_EXCEEDED/g), 'said once').to.have.length(1);

    const within = await runMocha(['--timeout', '60000', file], { ...env, PGDOCK_BUDGET_CLAIM_P95_MS: '60000', PGDOCK_BUDGET_LEAKED_PAIRS: '0' });
    expect(within.code, within.stderr).to.equal(0);
    expect(within.stderr).to.not.include('ERR_PGDOCK_BUDGET_EXCEEDED');
    expect(summaryLines(within.stderr)).to.have.length(1);

    const quiet = await runMocha(['--timeout', '60000', file], { ...env, PGDOCK_METRICS: 'false' });
    expect(quiet.code, quiet.stderr).to.equal(0);
    expect(summaryLines(quiet.stderr), 'metrics: false prints no line').to.have.length(0);
  });

  it('with mochawesome, the summary and the figures join the report (an after-all hook of the root suite, with context)', async function () {
    mkdirSync(join(root, 'spec'), { recursive: true });
    const file = join(root, 'spec', 'claims.spec.mjs');
    (await import('node:fs')).writeFileSync(file, budgetSpec);
    const reports = join(root, 'mochawesome');
    const ran = await runMocha(['--timeout', '60000', '--reporter', 'mochawesome', '--reporter-options', `reportDir=${reports},reportFilename=run,json=true,html=false,quiet=true`, file], env);
    expect(ran.code, ran.stderr).to.equal(0);
    const report = JSON.parse(readFileSync(join(reports, 'run.json'), 'utf8')) as { results: Array<{ afterHooks: Array<{ title: string; context: string }> }> };
    const hook = report.results[0]!.afterHooks.find((h) => h.title.includes('pgdock run metrics'));
    expect(hook, 'the report has the figures').to.not.equal(undefined);
    const context = JSON.parse(hook!.context) as Array<{ title: string; value: unknown }>;
    expect(context[0]).to.deep.include({ title: 'pgdock: run summary', value: summaryLines(ran.stderr)[0] });
    expect((context[1]!.value as RunMetrics).pairs.claimed).to.equal(6);
  });

  it('a pair claimed by a test whose worker was SIGKILLed is counted as leaked, and a leak budget of 0 says so', async function () {
    mkdirSync(join(root, 'spec'), { recursive: true });
    const fs = await import('node:fs');
    fs.writeFileSync(join(root, 'spec', 'a-claims.spec.mjs'), budgetSpec);
    // Past the half second a process may go without writing its record, then killed: no handler runs.
    fs.writeFileSync(join(root, 'spec', 'b-dies.spec.mjs'), `describe('dies', function () {
  it('claims a pair, then its worker is killed', async function () {
    await this.pg.sql\`select \${this.pg.source}::text\`;
    await new Promise((r) => setTimeout(r, 1500));
    process.kill(process.pid, 'SIGKILL');
  });
});
`);
    const ran = await runMocha(['--parallel', '--jobs', '2', '--timeout', '60000', join(root, 'spec', 'a-claims.spec.mjs'), join(root, 'spec', 'b-dies.spec.mjs')], { ...env, PGDOCK_BUDGET_LEAKED_PAIRS: '0' });
    const metrics = JSON.parse(readFileSync(env.PGDOCK_METRICS_FILE!, 'utf8')) as RunMetrics;
    expect(ran.code, ran.stderr).to.not.equal(0);
    expect(metrics.pairs.claimed).to.equal(7);
    expect(metrics.pairs.leaked, 'the killed test never released its pair').to.equal(1);
    expect(metrics.pairs.dropped).to.equal(6);
    expect(ran.stderr).to.include('pairs leaked was 1, over the limit of 0');
    expect(metrics.swept, 'the end-of-run sweep dropped the leaked pair (and those built ahead)').to.be.at.least(2);
  });

  it('a metrics file that cannot be written is said once, with a code and no stack, and fails the run; the budget is still checked (must fail)', async function () {
    mkdirSync(join(root, 'spec'), { recursive: true });
    (await import('node:fs')).writeFileSync(join(root, 'spec', 'claims.spec.mjs'), budgetSpec);
    const folder = join(root, 'a-folder');
    mkdirSync(folder);
    const ran = await runMocha(['--timeout', '60000', join(root, 'spec', 'claims.spec.mjs')], { ...env, PGDOCK_METRICS_FILE: folder, PGDOCK_BUDGET_CLAIM_P95_MS: '0' });
    expect(ran.stdout).to.include('6 passing');
    expect(ran.code).to.not.equal(0);
    expect(ran.stderr.match(/ERR_PGDOCK_INVALID_OPTION/g), ran.stderr).to.have.length(1);
    expect(ran.stderr).to.include(`could not write the run's metrics to ${folder}: EISDIR`);
    expect(ran.stderr, 'the budget was checked too').to.include('ERR_PGDOCK_BUDGET_EXCEEDED');
    expect(ran.stderr).to.not.match(/\n\s+at /);
  });
});
