import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { InstallFlavor } from '../support/installed-package.js';
import { REPO_ROOT } from '../support/paths.js';
import { SampleProject, useProjectCleanup } from '../support/sample-project.js';
import { onlyOn } from '../support/spec-provider.js';

interface Stats {
  tests: number;
  passes: number;
  failures: number;
}

interface RecipeRun {
  code: number | null;
  stats: Stats | undefined;
  output: string;
}

/** Copies of fixtures/recipes/<name>, made per test and removed after it with their servers. */
function useRecipes(): (name: string, flavor: InstallFlavor) => Promise<SampleProject> {
  const track = useProjectCleanup();
  return async (name, flavor) => track(await SampleProject.fromFolder(join(REPO_ROOT, 'fixtures', 'recipes', name), flavor));
}

async function run(project: SampleProject, args: string[], env: Record<string, string> = {}): Promise<RecipeRun> {
  project.resetResults();
  const report = join(project.dir, 'report.json');
  rmSync(report, { force: true });
  const result = await project.mocha(['--reporter', 'json', '--reporter-option', `output=${report}`, ...args], env).done;
  let stats: Stats | undefined;
  let failures: string[] = [];
  try {
    const parsed = JSON.parse(readFileSync(report, 'utf8')) as { stats: Stats; failures: Array<{ fullTitle: string; err: { message?: string } }> };
    stats = parsed.stats;
    failures = parsed.failures.map((f) => `${f.fullTitle}: ${f.err.message ?? ''}`);
  } catch {
    stats = undefined;
  }
  return { code: result.code, stats, output: [result.stdout, result.stderr, ...failures].join('\n') };
}

const MODES = [
  ['serial', []],
  ['--parallel --jobs 4', ['--parallel', '--jobs', '4']],
] as const;

describe('recipes for existing suites (fixtures/recipes), installed from the packed tarball', function () {
  this.timeout(300_000); // the first use installs the tarball with the recipe's mocha and chai
  const recipe = useRecipes();
  beforeEach(function () {
    onlyOn(this, ['docker', 'embedded'], 'the recipes do not depend on the server; checked on docker and embedded');
  });

  for (const [label, args] of MODES) {
    it(`setup-file (CommonJS, chai 4, mocha 10): the --require'd setup file sees PGDATABASE as it loads, in every process (${label})`, async function () {
      const project = await recipe('setup-file', 'cjs');
      const result = await run(project, [...args]);
      expect(result.stats, result.output).to.deep.include({ tests: 4, passes: 4, failures: 0 });
      const seen = readdirSync(project.resultsDir)
        .filter((f) => f.startsWith('setup-'))
        .map((f) => JSON.parse(readFileSync(join(project.resultsDir, f), 'utf8')) as { pid: number; worker: string | null; database: string | null });
      // The processes that run tests: the workers, or the one serial process.
      const testing = seen.filter((s) => args.length === 0 || s.worker !== null);
      expect(testing.length, JSON.stringify(seen)).to.be.at.least(1);
      for (const s of testing) expect(s.database, JSON.stringify(s)).to.match(/^pgdock_w\d+_[0-9a-f]{8}$/);
      // Each had a database of its own when it loaded the setup file.
      expect(new Set(testing.map((s) => s.database)).size, JSON.stringify(seen)).to.equal(testing.length);
      // A --parallel run's main process loads it too, and gets nothing: it runs no test.
      if (args.length > 0) expect(seen.filter((s) => s.worker === null).map((s) => s.database)).to.deep.equal([null]);
    });

    it(`config-module (ES modules, chai 6, mocha 12): SHOP_CONFIG names a module that reads PG* (${label})`, async function () {
      const project = await recipe('config-module', 'esm');
      const result = await run(project, [...args], { SHOP_CONFIG: './test/pgdock-config.js' });
      expect(result.stats, result.output).to.deep.include({ tests: 2, passes: 2, failures: 0 });
    });
  }

  it('config-module without SHOP_CONFIG reaches for the developer database and fails (the recipe is what makes it pass)', async function () {
    const project = await recipe('config-module', 'esm');
    const result = await run(project, []);
    expect(result.stats?.failures, result.output).to.equal(2);
  });

  it('fixed-names (role shop, database shop_test in the code): passes serially', async function () {
    const project = await recipe('fixed-names', 'cjs');
    const result = await run(project, []);
    expect(result.stats, result.output).to.deep.include({ tests: 2, passes: 2, failures: 0 });
  });

  it('fixed-names under --parallel: stops before any worker starts, once, with ERR_PGDOCK_INVALID_OPTION and a hint naming {worker}', async function () {
    const project = await recipe('fixed-names', 'cjs');
    const result = await run(project, ['--parallel', '--jobs', '2']);
    expect(result.code, result.output).to.not.equal(0);
    expect(result.stats, 'no test ran').to.equal(undefined);
    expect(project.resultFiles(), 'no spec file loaded').to.deep.equal([]);
    const lines = result.output.split('\n').filter((l) => l.includes('ERR_PGDOCK_INVALID_OPTION'));
    expect(lines, result.output).to.have.length(1);
    expect(lines[0]).to.include("workerDatabaseName is 'shop_test'").and.include('{worker}');
    expect(result.output).to.include("Add {worker} to it (e.g. 'shop_test_{worker}'");
    expect(result.output).to.not.match(/\n\s+at /);
  });
});
