// The three sample projects of the peers benchmark, written into a scratch folder: the same 12
// spec files each (bench/peers/workload.ts), a .mocharc.cjs with what that peer needs, and the
// command a user runs there, mocha, timed from spawn to exit.
import { spawn } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FILES, TESTS_PER_FILE, specSource } from './workload.js';

export type PeerName = 'pgdock' | 'testcontainers' | 'compose';
export const PEERS: readonly PeerName[] = ['pgdock', 'testcontainers', 'compose'];

/** Writes one peer's project under `root` and returns its folder. `repo` is pgdock's checkout (built). */
export function writeProject(root: string, peer: PeerName, repo: string): string {
  const dir = join(root, peer);
  const peersDist = join(repo, 'dist', 'bench', 'peers');
  mkdirSync(join(dir, 'test'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: `peers-${peer}`, private: true, type: 'module' }, null, 2)}\n`);
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
  const fixture = {
    pgdock: join(repo, 'dist', 'hooks', 'register.js'),
    testcontainers: join(peersDist, 'tc-fixture.js'),
    compose: join(peersDist, 'compose-fixture.js'),
  }[peer];
  writeFileSync(join(dir, '.mocharc.cjs'), `module.exports = ${JSON.stringify({ require: [fixture], spec: 'test/*.spec.js', timeout: 30000 }, null, 2)};\n`);
  const modules = { workload: pathToFileURL(join(peersDist, 'workload.js')).href, peerDb: pathToFileURL(join(peersDist, 'peer-db.js')).href };
  for (let f = 1; f <= FILES; f++) {
    writeFileSync(join(dir, 'test', `f${String(f).padStart(2, '0')}.spec.js`), specSource(peer === 'pgdock' ? 'pgdock' : 'env', f, modules));
  }
  return dir;
}

/**
 * How mocha is started: the project's `node_modules/.bin/mocha`, what `npx mocha` runs once npx has
 * found it (npx's own start, the same for every peer, is measured apart); `npx mocha` itself with
 * BENCH_PEERS_NPX=1.
 */
export function mochaCommand(dir: string, env: NodeJS.ProcessEnv = process.env): string[] {
  return env.BENCH_PEERS_NPX === '1' ? ['npx', 'mocha'] : [join(dir, 'node_modules', '.bin', 'mocha')];
}

/** `mocha --version` in `dir`, through npx or not: what npx's own start costs, in ms from spawn to exit. */
export function timeMochaVersion(dir: string, npx: boolean): Promise<number> {
  const started = performance.now();
  const [command, ...first] = mochaCommand(dir, { BENCH_PEERS_NPX: npx ? '1' : '0' });
  return new Promise((resolve, reject) => {
    const child = spawn(command!, [...first, '--version'], { cwd: dir, stdio: 'ignore' });
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`mocha --version exited ${code}`))));
  });
}

/**
 * `mocha [args]` in `dir`: the wall clock from spawn to exit, in ms. Rejects unless mocha exits 0
 * and reports every test of the workload passing (so a run that skipped or lost tests cannot count).
 */
export function timeMocha(dir: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  const [command, ...first] = mochaCommand(dir, env);
  return new Promise((resolve, reject) => {
    const child = spawn(command!, [...first, ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => {
      const ms = performance.now() - started;
      const passing = /(\d+) passing/.exec(out)?.[1];
      if (code === 0 && Number(passing) === FILES * TESTS_PER_FILE && !/failing|pending/.test(out)) return resolve(ms);
      reject(new Error(`mocha ${args.join(' ')} in ${dir} exited ${code} (${passing ?? 0} passing):\n${out.slice(-3000)}`));
    });
  });
}
