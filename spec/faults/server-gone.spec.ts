import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { probeSql } from '../../lib/server/readiness.js';
import { externalInfo } from '../../lib/server/providers/external-server.js';
import { REPO_ROOT, TEST_IMAGE } from '../support/paths.js';
import { SampleProject, useSampleProjects } from '../support/sample-project.js';
import { docker, projectContainers, projectServers, removeProjectServers } from '../support/server-watch.js';
import { specProvider } from '../support/spec-provider.js';

/**
 * A root hook plugin the spec adds with `--require`: each process stops before its Nth test for
 * each N in PAUSE_AT (a comma list) and says so with a file, until the spec writes `resume-<k>`.
 */
const PAUSE = `'use strict';
const { existsSync, writeFileSync } = require('node:fs');
const at = process.env.PAUSE_AT.split(',').map(Number);
let count = 0;
exports.mochaHooks = {
  async beforeEach() {
    const k = at.indexOf(++count);
    if (k < 0) return;
    this.timeout(0);
    writeFileSync(process.env.PAUSE_DIR + '/paused-' + k + '-' + process.pid, '');
    while (!existsSync(process.env.PAUSE_DIR + '/resume-' + k)) await new Promise((r) => setTimeout(r, 20));
  },
};
`;

/**
 * A spec file of four tests that each claim a pair and write to it through `this.pg`; with
 * `ownClient`, an after hook also queries through a client of its own made from `this.pg.url`.
 */
function pgSpec(name: string, ownClient = false): string {
  const own = ownClient
    ? `  let own;
  before(function () { own = postgres(this.pg.url, { max: 1, onnotice() {} }); });
  after(async function () { try { await own\`select 1\`; } finally { await own.end({ timeout: 1 }); } });
`
    : '';
  return `import postgres from 'postgres';
describe('file ${name}', function () {
${own}  for (let i = 1; i <= 4; i++) {
    it('${name} test ' + i, async function () {
      await this.pg.sql.unsafe('create table ' + this.pg.table('t') + ' (id int); insert into ' + this.pg.table('t') + ' values (' + i + ')');
      const [row] = await this.pg.sql.unsafe('select count(*)::int as n from ' + this.pg.table('t'));
      if (row.n !== 1) throw new Error('expected one row');
    });
  }
});
`;
}

function withoutColours(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

/** One failure as mocha's spec reporter lists it after "N failing": its title and the lines of its error. */
interface ListedFailure {
  title: string;
  errorLines: string[];
}

function listedFailures(stdout: string): ListedFailure[] {
  const start = stdout.search(/^ {2}\d+ failing/m);
  if (start < 0) return [];
  return stdout
    .slice(start)
    .split(/^ {2}\d+\) /m)
    .slice(1)
    .map((block) => {
      const lines = block.split('\n');
      // Title lines are indented 7+ spaces; the error starts at 5 (its stack frames at 6).
      const first = lines.findIndex((line, i) => i > 0 && /^ {5}\S/.test(line));
      return { title: lines.slice(0, first < 0 ? 1 : first).map((l) => l.trim()).join(' '), errorLines: lines.slice(first < 0 ? 1 : first).filter((l) => l.trim() !== '') };
    });
}

/** A Postgres server started here, not by pgdock: what the external provider is pointed at. */
interface OwnServer {
  url: string;
  id: string;
}

async function startOwnServer(): Promise<OwnServer> {
  const password = randomBytes(12).toString('hex');
  const container = await docker.createContainer({
    Image: TEST_IMAGE,
    Env: [`POSTGRES_PASSWORD=${password}`],
    Cmd: ['postgres', '-c', 'fsync=off'],
    Labels: { 'pgdock-spec': 'server-gone' },
    ExposedPorts: { '5432/tcp': {} },
    HostConfig: { PortBindings: { '5432/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
  });
  await container.start();
  const port = (await container.inspect()).NetworkSettings.Ports['5432/tcp']?.[0]?.HostPort;
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 60_000;
  while (!(await probeSql(externalInfo(url), 1_000))) {
    if (Date.now() > deadline) throw new Error(`the spec's own server ${container.id.slice(0, 12)} did not answer within 60 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, id: container.id };
}

async function removeContainer(id: string): Promise<void> {
  await docker.getContainer(id).remove({ force: true, v: true }).catch(() => {});
}

/** The processes whose parent is `pid` (a postmaster's backends and helpers). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** What was taken away: what the messages must name, and the port it listened on. */
interface TakenAway {
  named: string;
  port: number;
}

/**
 * Takes the project's server away as a user (or a crash) would: `docker rm -f` of its container
 * (found by the project label), SIGKILL of its embedded postmaster, or removal of the external
 * server's container.
 */
async function takeServerAway(project: SampleProject, external: OwnServer | undefined): Promise<TakenAway> {
  if (external) {
    await removeContainer(external.id);
    const port = externalInfo(external.url).port;
    return { named: `127.0.0.1:${port}`, port };
  }
  if (specProvider() === 'embedded') {
    const [postmaster] = await projectServers(project.projectKey, 'embedded');
    expect(postmaster, 'the project\'s postmaster').to.not.equal(undefined);
    const args = readFileSync(`/proc/${postmaster!.id}/cmdline`, 'utf8').split('\0');
    const backends = childrenOf(Number(postmaster!.id));
    process.kill(Number(postmaster!.id), 'SIGKILL');
    // Its backends notice and exit within moments; until then a connection may still answer.
    const deadline = Date.now() + 10_000;
    while (backends.some((pid) => existsSync(`/proc/${pid}`)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return { named: `pid ${postmaster!.id}`, port: Number(args[args.indexOf('-p') + 1]) };
  }
  const [container] = await projectContainers(project.projectKey);
  expect(container, 'the project\'s container').to.not.equal(undefined);
  await docker.getContainer(container!.Id).remove({ force: true });
  return { named: container!.Id.slice(0, 12), port: container!.Ports.find((p) => p.PrivatePort === 5432)?.PublicPort ?? 0 };
}

/**
 * Something on the server's old port that accepts connections and never answers, as a host that
 * stopped answering does: a client connecting there waits until its own timeout (30 s for postgres.js).
 */
async function listenSilently(port: number): Promise<() => Promise<void>> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((r) => server.close(r));
  };
}

interface GoneRun {
  code: number | null;
  output: string;
  failures: ListedFailure[];
  /** What the messages must name: container id, `pid N`, or the external server's port. */
  named: string;
  /** From taking the server away to pgdock's first line about it. */
  secondsToNamed: number;
  /** From taking the server away to the end of the run. */
  secondsToEnd: number;
}

/**
 * Runs mocha in the project and takes the server away once `paused` processes stopped before their
 * 3rd test. With `silentAfter`, a second pause before the 5th test lets the spec put a listener
 * that never answers on the server's old port: from then on only pgdock's memory of the loss keeps
 * tests from waiting on it.
 */
async function runAndTakeAway(project: SampleProject, args: string[], paused: number, env: Record<string, string>, external?: OwnServer, silentAfter = false): Promise<GoneRun> {
  const pauseDir = join(project.dir, 'pause');
  rmSync(pauseDir, { recursive: true, force: true });
  mkdirSync(pauseDir);
  writeFileSync(join(project.dir, 'pause.cjs'), PAUSE);
  const run = project.mocha(['--require', './pause.cjs', ...args], { PAUSE_DIR: pauseDir, PAUSE_AT: silentAfter ? '3,5' : '3', ...env });
  let stderr = '';
  let namedAt = 0;
  run.child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (!namedAt && stderr.includes('ERR_PGDOCK_SERVER_GONE')) namedAt = Date.now();
  });
  let ended = false;
  void run.done.then(() => (ended = true));
  const pausedAt = (k: number) => readdirSync(pauseDir).filter((f) => f.startsWith(`paused-${k}-`)).length;
  const waitFor = async (k: number, count: number) => {
    const deadline = Date.now() + 90_000;
    while (!ended && pausedAt(k) < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(pausedAt(k), `processes paused (pause ${k})\n${stderr}`).to.be.at.least(1);
  };
  await waitFor(0, paused);
  const taken = await takeServerAway(project, external);
  const removedAt = Date.now();
  writeFileSync(join(pauseDir, 'resume-0'), '');
  let stopListening: (() => Promise<void>) | undefined;
  if (silentAfter) {
    await waitFor(1, paused);
    stopListening = await listenSilently(taken.port);
    writeFileSync(join(pauseDir, 'resume-1'), '');
  }
  const result = await run.done;
  await stopListening?.();
  // With CI set, mocha colours its output even into a pipe: read the text, not the escapes.
  const stdout = withoutColours(result.stdout);
  return {
    code: result.code,
    output: `${stdout}\n${withoutColours(result.stderr)}`,
    failures: listedFailures(stdout),
    named: taken.named,
    secondsToNamed: namedAt ? (namedAt - removedAt) / 1000 : Infinity,
    secondsToEnd: (Date.now() - removedAt) / 1000,
  };
}

/** The clock in "(noticed at …)" is each process's own: workers of one run may differ by a second. */
const sameClock = (line: string): string => line.replace(/noticed at \d\d:\d\d:\d\d UTC/, 'noticed at <time>');

function expectNamedInOneLine(run: GoneRun, minFailures: number): void {
  const { failures } = run;
  expect(run.code, run.output).to.not.equal(0);
  expect(failures.length, run.output).to.be.at.least(minFailures);
  const [first] = failures;
  const line = first!.errorLines[0] ?? '';
  expect(line, 'the first failure names the server and says it is gone').to.contain(run.named).and.match(/ERR_PGDOCK_SERVER_GONE\] pgdock's Postgres server is gone: /);
  expect(line).to.match(/Hint: .*run again/i);
  for (const failure of failures) {
    expect(failure.errorLines, `${failure.title}: one line, no stack frames`).to.have.length(1);
    expect(sameClock(failure.errorLines[0]!), failure.title).to.equal(sameClock(line));
  }
  expect(run.output, 'no stack frames anywhere').to.not.match(/^\s+at /m);
  expect(run.output, 'no hint about pair setup').to.not.match(/pair setup|sourceSetup|destinationSetup|pairSetupModule/);
  expect(run.secondsToNamed, 'seconds from removal to the first named failure').to.be.lessThan(10);
  const lines = new Set(failures.map((f) => f.errorLines[0]));
  process.stdout.write(`      [${failures.length} failures, 1 line each (${lines.size} distinct), named ${run.secondsToNamed.toFixed(2)} s after removal, run ended ${run.secondsToEnd.toFixed(1)} s after it]\n`);
}

describe('a server that vanishes mid-run is named in one line (ERR_PGDOCK_SERVER_GONE)', function () {
  this.timeout(300_000);
  const newProject = useSampleProjects();
  const own: OwnServer[] = [];
  /** On the external provider the spec takes away a server of its own: the suite's shared one must stay. */
  const externalServer = async (): Promise<{ env: Record<string, string>; server?: OwnServer }> => {
    if (specProvider() !== 'external') return { env: {} };
    const server = await startOwnServer();
    own.push(server);
    return { env: { PGDOCK_URL: server.url }, server };
  };

  afterEach(async function () {
    for (const server of own.splice(0)) await removeContainer(server.id);
  });

  it('this.pg tests, serial then --parallel: the failing test and every later one say so in one line, no stack, no pair-setup hint; the next run passes', async function () {
    const project = await newProject({ '01.spec.js': pgSpec('01', true), '02.spec.js': pgSpec('02'), '03.spec.js': pgSpec('03') });

    const first = await externalServer();
    const serial = await runAndTakeAway(project, [], 1, first.env, first.server, true);
    // Tests 3 and 4 of file 01 and its after hook (own client), then all of 02 and 03: at once,
    // though their server's port now never answers.
    expectNamedInOneLine(serial, 11);
    expect(serial.failures.map((f) => f.title).join('\n')).to.match(/^file 01 "after all" hook/m);
    expect(serial.secondsToEnd, 'later tests fail at once, not after a connect timeout').to.be.lessThan(15);

    // The run after it starts a new server (which itself is then taken away, with two workers).
    const second = await externalServer();
    const parallel = await runAndTakeAway(project, ['--parallel', '--jobs', '2'], 2, second.env, second.server);
    expect(parallel.output, 'the run after the removal started afresh').to.match(/✔ 0[123] test 1/);
    // Tests 3 and 4 of the two files the workers paused in, 01's after hook, then all of the third file.
    expectNamedInOneLine(parallel, 9);
    expect(parallel.secondsToEnd, 'later tests fail at once, not after a timeout').to.be.lessThan(15);

    const third = await externalServer();
    const next = await project.mocha(['--parallel', '--jobs', '2'], third.env).done;
    expect(next.code, `the next run recovers\n${next.stdout}${next.stderr}`).to.equal(0);
    expect(next.stdout).to.match(/12 passing/);
    expect(await projectServers(project.projectKey), 'nothing left behind').to.have.length(0);
  });

  it('an existing suite on worker databases (its own pool from PG*): every failed hook says so in one line, under --parallel; the next run passes', async function () {
    const project = await SampleProject.fromFolder(join(REPO_ROOT, 'fixtures', 'existing-suite'));
    try {
      // Serially too (checked by hand), but there the suite's own pool backs off between reconnects
      // (postgres.js, up to 20 s) and its later hooks time out before they fail: named all the same.
      const first = await externalServer();
      const run = await runAndTakeAway(project, ['--parallel', '--jobs', '2'], 2, first.env, first.server);
      // Each of the 8 files fails a hook (the seed of the paused test, or createTables) and its dropTables.
      expectNamedInOneLine(run, 16);
      expect(run.failures.map((f) => f.title).join('\n')).to.match(/"before each" hook/).and.match(/"before all" hook/).and.match(/"after all" hook/);
      expect(run.secondsToEnd, 'later hooks fail at once, not after a timeout').to.be.lessThan(15);

      const second = await externalServer();
      const next = await project.mocha(['--parallel', '--jobs', '2'], second.env).done;
      expect(next.code, `the next run recovers\n${next.stdout}${next.stderr}`).to.equal(0);
      expect(next.stdout).to.match(/40 passing/);
    } finally {
      await removeProjectServers(project.projectKey);
      project.remove();
    }
  });
});
