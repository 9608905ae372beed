/**
 * The boundaries `npm run lint` enforces (docs/ARCHITECTURE.md, "Boundaries") catch what they are
 * for: a copy of lib/ and hooks/ with one violation planted per rule must fail each rule, at the
 * planted file and nowhere else.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../support/paths.js';
import { onlyOn } from '../../support/spec-provider.js';

/** Each planted file, what it does wrong, and the rule that must name it. */
const PLANTED: Array<{ file: string; source: string; rule: string }> = [
  { file: 'lib/isolation/planted-mocha.ts', source: "import type { Test } from 'mocha';\nexport type T = Test;\n", rule: 'only-mocha-adapter-imports-mocha' },
  { file: 'lib/server/planted-threads.ts', source: "import { Worker } from 'node:worker_threads';\nexport const W = Worker;\n", rule: 'only-sync-uses-worker-threads' },
  { file: 'lib/chai/planted-ring-a.ts', source: "import type { B } from './planted-ring-b.js';\nexport type A = { b?: B };\n", rule: 'no-circular' },
  { file: 'lib/chai/planted-ring-b.ts', source: "import type { A } from './planted-ring-a.js';\nexport type B = { a?: A };\n", rule: 'no-circular (the ring is reported once, at a)' },
  { file: 'lib/cli/planted-engine.ts', source: "import { DockerEngine } from '../server/docker/engine.js';\nexport const E = DockerEngine;\n", rule: 'cli-only-through-server-provider' },
  { file: 'lib/server/providers/planted-lock.ts', source: "import { withFileLock } from '../../coordination/file-lock.js';\nexport const L = withFileLock;\n", rule: 'providers-through-coordination-index' },
  { file: 'lib/planted-floor.ts', source: "import { isCi } from './config/project.js';\nexport const C = isCi;\n", rule: 'lib-floor-imports-no-room' },
  { file: 'lib/coordination/planted-room.ts', source: "import { mochaMode } from '../mocha/mocha-mode.js';\nexport const M = mochaMode;\n", rule: 'no-room-cycles' },
  { file: 'lib/fixtures/planted-spec.ts', source: "import { X } from '../../spec/planted.js';\nexport const Y = X;\n", rule: 'lib-not-to-spec' },
  { file: 'lib/fixtures/planted-missing.ts', source: "import { nothing } from './no-such-module.js';\nexport const N = nothing;\n", rule: 'not-to-unresolvable' },
];

/** ESLint's part: Mocha's globals, as values and in types, outside lib/mocha. */
const MOCHA_GLOBALS = { file: 'lib/server/planted-describe.ts', source: "describe('x', () => {});\nexport type T = Mocha.Test;\n" };

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

describe('house rules: every lint boundary fails on a planted violation', function () {
  this.timeout(120_000);
  let dir: string;

  before(function () {
    onlyOn(this, ['docker'], 'the lint needs no server; checked once per CI run');
    dir = mkdtempSync(join(tmpdir(), 'pgdock-planted-'));
    for (const name of ['lib', 'hooks', '.dependency-cruiser.cjs', 'eslint.config.js', 'tsconfig.build.json', 'package.json']) {
      cpSync(join(REPO_ROOT, name), join(dir, name), { recursive: true });
    }
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
    mkdirSync(join(dir, 'spec'));
    writeFileSync(join(dir, 'spec', 'planted.ts'), 'export const X = 1;\n');
    for (const { file, source } of [...PLANTED, MOCHA_GLOBALS]) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), source);
    }
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('dependency-cruiser: each rule names its planted file, and nothing else breaks a rule', async function () {
    const bin = join(REPO_ROOT, 'node_modules', '.bin', 'depcruise');
    const run = await promisify(execFile)(bin, ['--config', '.dependency-cruiser.cjs', '--output-type', 'json', 'lib', 'hooks'], { cwd: dir, maxBuffer: 64 << 20 })
      .catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
    const { summary } = JSON.parse(run.stdout) as { summary: { violations: Violation[] } };
    const found = summary.violations.map((v) => `${v.rule.name} ${v.from}`);
    for (const { file, rule } of PLANTED.filter((p) => !p.rule.includes(' '))) {
      // A folder cycle is reported at the folders on it: the planted file's room is one.
      const at = rule === 'no-room-cycles' ? dirname(file) : file;
      expect(found, `${rule} must catch ${file}: ${found.join('; ')}`).to.include(`${rule} ${at}`);
    }
    // The room cycle is the planted one: coordination → mocha, so mocha is on the ring too.
    expect(found, 'the planted room cycle runs through lib/mocha').to.include('no-room-cycles lib/mocha');
    // A room cycle lists every folder on the ring; anything else must come from a planted file.
    const strays = summary.violations.filter((v) => v.rule.name !== 'no-room-cycles' && !v.from.includes('planted'));
    expect(strays.map((v) => `${v.rule.name} ${v.from} → ${v.to}`), 'violations outside the planted files').to.deep.equal([]);
  });

  it('ESLint: Mocha\'s globals outside lib/mocha, as a value and as a type', async function () {
    const bin = join(REPO_ROOT, 'node_modules', '.bin', 'eslint');
    const run = await promisify(execFile)(bin, ['--no-cache', '--format', 'json', MOCHA_GLOBALS.file], { cwd: dir, maxBuffer: 16 << 20 })
      .catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
    const [report] = JSON.parse(run.stdout) as Array<{ messages: Array<{ ruleId: string; line: number }> }>;
    const rules = report!.messages.map((m) => `${m.ruleId}:${m.line}`);
    expect(rules).to.include.members(['no-restricted-globals:1', 'no-restricted-syntax:2']);
  });
});
