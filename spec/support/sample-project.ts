import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveOptions } from '../../lib/config/options.js';
import { projectKey } from '../../lib/coordination/server-key.js';
import { removeProjectServers } from './server-watch.js';
import { installedPackageDir, type InstallFlavor } from './installed-package.js';
import { TEST_IMAGE, scratchRoot } from './paths.js';
import { providerEnv } from './spec-provider.js';

/** No child run of a spec takes this long unless it hangs. */
const RUN_DEADLINE_MS = 150_000;

/** Signals `child` and the processes of its group (mocha's workers, a helper it started). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/** `ps` lines of the process group led by `pid`, for a hung run's failure message. */
function processTree(pid: number | undefined): string {
  if (!pid) return '(no pid)';
  try {
    return execFileSync('ps', ['-o', 'pid,ppid,etimes,stat,args', '-g', String(pid)], { encoding: 'utf8' }).trim();
  } catch (err) {
    return `(ps failed: ${(err as Error).message})`;
  }
}

/** What one sample test recorded about the server it saw. */
export interface SeenServer {
  file: string;
  pid: number;
  systemIdentifier: string;
  /** Container id, or the embedded postmaster's pid. */
  serverId: string;
  at: number;
}

export interface MochaRun {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }>;
}

/** A pgdock spec file: one test that records the server it saw, optionally waiting afterwards. */
export function recordingSpec(name: string): string {
  return `import { writeFileSync } from 'node:fs';
describe('file ${name}', function () {
  it('${name} sees the shared server', async function () {
    const [row] = await this.pg.sql\`select system_identifier::text as id from pg_control_system()\`;
    writeFileSync(process.env.SAMPLE_RESULTS + '/${name}-' + process.pid + '.json', JSON.stringify({
      file: '${name}', pid: process.pid, systemIdentifier: row.id, serverId: String(this.pg.server.containerId ?? this.pg.server.pid ?? 'external'), at: Date.now() }));
    const delay = Number(process.env.SAMPLE_DELAY_MS || 0);
    if (delay) { this.timeout(delay + 60000); await new Promise((r) => setTimeout(r, delay)); }
  });
});
`;
}

export const UNIT_SPEC = `import assert from 'node:assert';
describe('unit maths', function () {
  it('adds numbers without a database', function () { assert.strictEqual(1 + 1, 2); });
});
`;

/** A throwaway Mocha project using pgdock as a user would, with its own state dir and project key. */
export class SampleProject {
  readonly dir: string;
  readonly stateDir: string;
  readonly resultsDir: string;
  readonly projectKey: string;

  private constructor(dir: string) {
    this.dir = dir;
    this.stateDir = join(dir, '.pgdock-state');
    this.resultsDir = join(dir, 'results');
    this.projectKey = projectKey(resolveOptions({ projectRoot: dir }, {}));
  }

  /**
   * `files` maps spec file names to their source; default: 12 recording specs. `cjs`: a CommonJS
   * project on mocha 10 and chai 4; `docker-only`: installed without optional dependencies.
   */
  static async create(files: Record<string, string> = SampleProject.recordingFiles(12), flavor: InstallFlavor = 'esm'): Promise<SampleProject> {
    const nodeModules = await installedPackageDir(flavor);
    mkdirSync(scratchRoot(), { recursive: true });
    const project = new SampleProject(mkdtempSync(join(scratchRoot(), 'sample-')));
    writeFileSync(join(project.dir, 'package.json'), JSON.stringify({ name: 'sample', private: true, type: flavor === 'cjs' ? 'commonjs' : 'module' }));
    writeFileSync(join(project.dir, '.mocharc.cjs'), "module.exports = { require: ['pgdock/register'], spec: 'spec/*.spec.js', timeout: 30000 };\n");
    symlinkSync(nodeModules, join(project.dir, 'node_modules'));
    mkdirSync(join(project.dir, 'spec'));
    for (const [name, source] of Object.entries(files)) writeFileSync(join(project.dir, 'spec', name), source);
    project.resetResults();
    return project;
  }

  /** A copy of an existing project (e.g. a fixture), with pgdock installed beside it as a user has it (`cjs`: on mocha 10 and chai 4). */
  static async fromFolder(source: string, flavor: InstallFlavor = 'esm'): Promise<SampleProject> {
    const nodeModules = await installedPackageDir(flavor);
    mkdirSync(scratchRoot(), { recursive: true });
    const project = new SampleProject(mkdtempSync(join(scratchRoot(), 'existing-')));
    cpSync(source, project.dir, { recursive: true, filter: (path) => !path.includes('node_modules') });
    symlinkSync(nodeModules, join(project.dir, 'node_modules'));
    project.resetResults();
    return project;
  }

  static recordingFiles(count: number): Record<string, string> {
    const files: Record<string, string> = {};
    for (let i = 1; i <= count; i++) {
      const name = String(i).padStart(2, '0');
      files[`${name}.spec.js`] = recordingSpec(name);
    }
    return files;
  }

  resetResults(): void {
    rmSync(this.resultsDir, { recursive: true, force: true });
    mkdirSync(this.resultsDir, { recursive: true });
  }

  /** The files tests wrote into the results folder. */
  resultFiles(): string[] {
    return readdirSync(this.resultsDir);
  }

  results(): SeenServer[] {
    return readdirSync(this.resultsDir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(this.resultsDir, f), 'utf8')) as SeenServer);
  }

  /** The environment a user's shell would give mocha, plus this project's pgdock settings. */
  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (!k.startsWith('PGDOCK_') && !k.startsWith('MOCHA_') && k !== 'DEBUG') env[k] = v;
    }
    return { ...env, ...providerEnv(), PGDOCK_IMAGE: TEST_IMAGE, PGDOCK_STATE_DIR: this.stateDir, PGDOCK_REUSE: 'false', SAMPLE_RESULTS: this.resultsDir, ...extra };
  }

  /** Starts `mocha` in the project, as `npx mocha ...args` would. */
  mocha(args: string[], extraEnv: Record<string, string> = {}): MochaRun {
    return this.node(join(this.dir, 'node_modules', 'mocha', 'bin', 'mocha.js'), args, extraEnv);
  }

  /** Runs the project's installed `pgdock` CLI. */
  cli(args: string[], extraEnv: Record<string, string> = {}): MochaRun {
    return this.node(join(this.dir, 'node_modules', 'pgdock', 'dist', 'lib', 'cli', 'main.js'), args, extraEnv);
  }

  private node(script: string, args: string[], extraEnv: Record<string, string>): MochaRun {
    const started = Date.now();
    // Its own process group, so that a hung run is ended with every worker it started.
    const child = spawn(process.execPath, [script, ...args], { cwd: this.dir, env: this.env(extraEnv), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    // A run that hangs fails its test with what it printed (and the processes it had), instead of the
    // test's own timeout with nothing to go on.
    const deadline = setTimeout(() => {
      stderr += `\n[spec: no exit after ${RUN_DEADLINE_MS / 1000} s; killed. Its processes were:\n${processTree(child.pid)}]\n`;
      killGroup(child, 'SIGKILL');
    }, RUN_DEADLINE_MS);
    deadline.unref();
    const done = new Promise<Awaited<MochaRun['done']>>((resolve) => {
      child.on('close', (code, signal) => {
        clearTimeout(deadline);
        resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
      });
    });
    return { child, done };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * For a describe block: registers an afterEach that removes every project the returned function was
 * given during the test, with its servers (a safety net after the test's own checks).
 */
export function useProjectCleanup(): (project: SampleProject) => SampleProject {
  const made: SampleProject[] = [];
  afterEach(async function () {
    for (const project of made.splice(0)) {
      await removeProjectServers(project.projectKey);
      project.remove();
    }
  });
  return (project) => {
    made.push(project);
    return project;
  };
}

/** For a describe block: a maker of sample projects, each removed after its test (see {@link useProjectCleanup}). */
export function useSampleProjects(): (files?: Record<string, string>, flavor?: InstallFlavor) => Promise<SampleProject> {
  const track = useProjectCleanup();
  return async (files, flavor) => track(await SampleProject.create(files, flavor));
}
