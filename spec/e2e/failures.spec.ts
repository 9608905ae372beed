import { expect } from 'chai';
import { readLockOwner } from '../../lib/coordination/file-lock.js';
import { resolveOptions } from '../../lib/config/options.js';
import { serverPaths } from '../../lib/coordination/server-key.js';
import { ServerWatch, projectServers } from '../support/server-watch.js';
import { onlyOn, specProvider } from '../support/spec-provider.js';
import { SampleProject, useSampleProjects } from '../support/sample-project.js';

interface JsonReport {
  stats: { passes: number; failures: number };
  failures: Array<{ fullTitle: string; err: { message?: string } }>;
}

/** A way to make the leader fail on each provider, and what every worker must then say. */
const LEADER_FAILURES = {
  docker: { env: { PGDOCK_IMAGE: 'pgdock-test/does-not-exist:never' }, message: /The image pgdock-test\/does-not-exist:never is not on this machine and pulling it failed/ },
  embedded: { env: { PGDOCK_POSTGRES_ARGS: '-c no_such_setting=1' }, message: /exited before it accepted SQL[\s\S]*no_such_setting/ },
  external: { env: { PGDOCK_URL: 'postgres://nobody:secret-pw@127.0.0.1:9/none', PGDOCK_STARTUP_TIMEOUT: '2000' }, message: /ERR_PGDOCK_SERVER_UNREACHABLE|did not accept SQL/ },
};

/** The assertion's error with the child run's output added: a failure here must show what the run said. */
function withOutput(err: unknown, result: { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }): unknown {
  if (err instanceof Error) err.message += `\n--- child run (exit ${result.code ?? result.signal}) stdout:\n${result.stdout}\n--- stderr:\n${result.stderr}`;
  return err;
}

describe('failures are shared, locks are recovered', function () {
  this.timeout(120_000);
  const newProject = useSampleProjects();

  it('a leader failure (missing image, bad server argument, unreachable URL) fails every worker with the same message, in under 30 s (no worker retries on its own)', async function () {
    const project = await newProject();
    const failure = LEADER_FAILURES[specProvider()];
    const result = await project.mocha(['--parallel', '--jobs', '6', '--reporter', 'json'], failure.env).done;
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(report.stats.failures, result.stderr).to.equal(12);
    const messages = new Set(report.failures.map((f) => f.err.message));
    expect(messages.size, [...messages].join('\n---\n')).to.equal(1);
    expect([...messages][0]).to.match(failure.message);
    expect([...messages][0]).to.contain('Hint:');
    // Each worker retrying for itself would take minutes; 30 s leaves room for a busy 2-core machine.
    expect(result.ms, 'whole run').to.be.lessThan(30_000);
    expect(result.stdout + result.stderr, 'no password in the output').to.not.contain('secret-pw');
    if (specProvider() === 'docker') expect(result.stderr.match(/pgdock: pulling/g) ?? [], 'only the leader tried to pull').to.have.length(1);
  });

  it('a worker SIGKILLed while holding the lock: the others proceed within 15 s, on exactly one server', async function () {
    onlyOn(this, ['docker', 'embedded'], 'nothing is started under the lock on an external server');
    const project = await newProject();
    const env = project.env();
    const lockDir = `${serverPaths({ ...resolveOptions({}, env, project.dir), provider: specProvider() }).stateFile}.lock`;
    const watch = new ServerWatch(project.projectKey);
    const run = project.mocha(['--parallel', '--jobs', '6']);
    let ended = false;
    void run.done.then(() => (ended = true));
    let holder = 0;
    let killedAt: number;
    try {
      // Wait for a worker to take the lock (bounded: a run that ends or never locks fails with its output).
      const deadline = Date.now() + 30_000;
      while (!holder && !ended && Date.now() < deadline) {
        holder = readLockOwner(lockDir)?.pid ?? 0;
        if (!holder) await new Promise((r) => setTimeout(r, 5));
      }
      expect(holder, 'a worker took the server lock').to.be.greaterThan(0);
      expect(holder, 'the holder is a worker, not mocha itself').to.not.equal(run.child.pid);
      // Give it time to start the server, but kill it while it still holds the lock.
      const killBy = Date.now() + 400;
      while (Date.now() < killBy && readLockOwner(lockDir)?.pid === holder) await new Promise((r) => setTimeout(r, 5));
      expect(readLockOwner(lockDir)?.pid, 'still the holder when killed').to.equal(holder);
      process.kill(holder, 'SIGKILL');
      killedAt = Date.now();
    } catch (err) {
      if (!ended) run.child.kill('SIGKILL');
      throw withOutput(err, await run.done);
    }
    const result = await run.done;
    await watch.stop();
    try {
      const seen = project.results();
      expect(result.stdout + result.stderr, 'mocha reports the killed worker').to.match(/terminated|SIGKILL|failing/i);
      expect(seen.length, 'all files but the killed one').to.be.at.least(11);
      expect(seen.every((s) => s.pid !== holder), 'the killed worker recorded nothing').to.equal(true);
      expect(Math.min(...seen.map((s) => s.at)) - killedAt, 'first test after the kill, ms').to.be.lessThan(15_000);
      expect(watch.maxAtOnce, 'servers at once').to.equal(1);
      expect(new Set(seen.map((s) => s.serverId)).size, 'servers used').to.equal(1);
      expect(await projectServers(project.projectKey), 'servers left').to.have.length(0);
    } catch (err) {
      throw withOutput(err, result);
    }
  });

  it('a mocha run killed outright leaves a server that the next run (reuse off) sweeps', async function () {
    onlyOn(this, ['docker', 'embedded'], 'pgdock starts no server on an external one');
    const project = await newProject(SampleProject.recordingFiles(2));
    const crashed = project.mocha(['--parallel', '--jobs', '2'], { SAMPLE_DELAY_MS: '60000', PGDOCK_POSTGRES_ARGS: '-c work_mem=8MB' });
    while (project.results().length === 0) await new Promise((r) => setTimeout(r, 50));
    crashed.child.kill('SIGKILL');
    await crashed.done;
    await new Promise((r) => setTimeout(r, 300)); // its orphaned workers notice the dead parent and exit
    expect(await projectServers(project.projectKey), 'left behind by the crash').to.have.length(1);
    const next = await project.mocha(['--parallel', '--jobs', '2']).done;
    expect(next.code, next.stdout + next.stderr).to.equal(0);
    expect(await projectServers(project.projectKey), 'swept and cleaned up').to.have.length(0);
  });
});
