import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO_ROOT } from '../../support/paths.js';

/** Every .ts file below `dir`, relative to the repository root. */
function sources(dir: string): string[] {
  return readdirSync(join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f));
}

/** The modules a spec file imports (relative imports only), as repository paths of their .ts sources. */
function importsOf(spec: string): string[] {
  const text = readFileSync(join(REPO_ROOT, spec), 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/(?:from|import\()\s*'(\.[^']+)\.js'/g)) found.push(relative(REPO_ROOT, resolve(REPO_ROOT, dirname(spec), `${m[1]}.ts`)));
  return found;
}

/** The specs a module's opening comment names as covering it ("Covered by spec/….spec.ts"). */
function namedSpecs(module: string): string[] {
  const head = readFileSync(join(REPO_ROOT, module), 'utf8').split('\n').slice(0, 6).join('\n');
  if (!/(?<![\w-])(?<!not )covered\b[\s\S]{0,40}?\bby|exercised by/i.test(head)) return []; // not "uncovered", "not covered"
  return [...head.matchAll(/spec\/[\w./-]+\.spec\.ts/g)].map((m) => m[0]);
}

/** Modules no spec imports and none is named for; a named spec that does not exist counts as none. */
export function uncovered(modules: string[], specs: string[], exists: (path: string) => boolean): string[] {
  const imported = new Set(specs.flatMap(importsOf));
  return modules.filter((m) => !imported.has(m) && !namedSpecs(m).some(exists));
}

describe('house rules: every lib module has a spec', function () {
  const specs = sources('spec').filter((f) => f.endsWith('.spec.ts'));
  const exists = (p: string) => existsSync(join(REPO_ROOT, p));

  it('each module under lib/ and hooks/ is imported by a spec, or names the spec that covers it at its top', function () {
    const modules = [...sources('lib'), ...sources('hooks')];
    expect(modules.length).to.be.greaterThan(50);
    expect(uncovered(modules, specs, exists), 'add a spec, or a first-lines comment "Covered by spec/<path>.spec.ts"').to.deep.equal([]);
  });

  it('must fail: a module named for no spec, or for a spec that does not exist, is reported', function () {
    const all = [...sources('lib'), ...sources('hooks')];
    expect(uncovered(all, [], () => false), 'with no specs and no named spec existing, every module is uncovered').to.deep.equal(all);
    expect(uncovered(['lib/debug.ts'], [], exists), 'named and existing').to.deep.equal([]);
    expect(uncovered(['lib/debug.ts'], [], (p) => p !== 'spec/unit/debug.spec.ts'), 'named but missing').to.deep.equal(['lib/debug.ts']);
  });
});
