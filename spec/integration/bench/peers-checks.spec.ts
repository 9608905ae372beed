// The checks `npm run bench:peers` relies on to count nothing false: a run that did not pass all
// 60 tests, a workload whose answers are wrong, a container left behind. Each must fail here.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { containersLabelled, expectContainers, removeLabelled } from '../../../bench/peers/containers.js';
import { timeMocha } from '../../../bench/peers/projects.js';
import { updateReadme, type PeersResults } from '../../../bench/peers/report.js';
import { workload } from '../../../bench/peers/workload.js';
import { REPO_ROOT, scratchRoot, TEST_IMAGE } from '../../support/paths.js';
import { shouldFail } from '../../support/should-fail.js';
import { onlyOn } from '../../support/spec-provider.js';

describe('the peers benchmark checks (bench/peers)', function () {
  this.timeout(60_000);
  let scratch: string;
  before(function () {
    mkdirSync(scratchRoot(), { recursive: true });
    scratch = mkdtempSync(join(scratchRoot(), 'bench-peers-'));
  });
  after(function () {
    rmSync(scratch, { recursive: true, force: true });
  });

  describe('timeMocha: a run counts only with 60 passing and nothing else', function () {
    /** A project whose one spec file has `passing` passing tests plus the extra lines. */
    function project(name: string, passing: number, extra = ''): string {
      const dir = join(scratch, name);
      mkdirSync(join(dir, 'test'), { recursive: true });
      writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
      symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
      writeFileSync(join(dir, '.mocharc.cjs'), "module.exports = { spec: 'test/*.spec.js' };\n");
      writeFileSync(join(dir, 'test', 'a.spec.js'), `describe('a', function () {\n  for (let i = 0; i < ${passing}; i++) it('t' + i, function () {});\n${extra}\n});\n`);
      return dir;
    }

    it('resolves with the wall clock for 60 passing', async function () {
      const ms = await timeMocha(project('sixty', 60), [], process.env);
      expect(ms).to.be.greaterThan(0);
    });

    it('rejects 59 passing', async function () {
      await shouldFail(timeMocha(project('fifty-nine', 59), [], process.env), '(59 passing)');
    });

    it('rejects 60 passing and one failing', async function () {
      await shouldFail(timeMocha(project('failing', 60, "  it('fails', function () { throw new Error('no'); });"), [], process.env), 'exited 1');
    });

    it('rejects 60 passing and one pending', async function () {
      await shouldFail(timeMocha(project('pending', 60, "  it.skip('later', function () {});"), [], process.env), 'exited 0 (60 passing)');
    });
  });

  describe('workload: the same SQL, checked answers', function () {
    it('runs and drops its table', async function () {
      const table = this.pg.table('items');
      await workload(this.pg.sql, table);
      const [row] = await this.pg.sql.unsafe(`select to_regclass('${table.replace(/'/g, "''")}') as t`);
      expect(row?.t).to.equal(null);
    });

    it('fails when the server answers with one row fewer (generate_series shadowed for real)', async function () {
      const schema = this.pg.source;
      await this.pg.sql.unsafe(`create function "${schema}".generate_series(a int, b int) returns setof int language sql as 'select pg_catalog.generate_series(a, b - 1)'`);
      const shadowed = postgres(this.pg.url, { max: 1, onnotice: () => {}, connection: { search_path: `"${schema}", pg_catalog` } });
      try {
        await shouldFail(workload(shadowed, this.pg.table('items')), 'counted 199 rows, inserted 200');
      } finally {
        await shadowed.end();
      }
    });
  });

  describe('container counts (a real engine)', function () {
    const label = `pgdock-bench-peers=spec-${randomUUID().slice(0, 8)}`;
    before(function () {
      onlyOn(this, ['docker'], 'counts Docker containers');
    });
    after(async function () {
      await removeLabelled(label).catch(() => 0); // nothing when the test removed it, or on a machine without Docker
    });

    it('passes with none, fails on one left behind, and removes only what carries the label', async function () {
      await expectContainers(label, 0, 'before');
      const id = execFileSync('docker', ['create', '--label', label, TEST_IMAGE, 'true'], { encoding: 'utf8' }).trim();
      await shouldFail(expectContainers(label, 0, 'after a run'), `after a run: 1 container(s) labelled ${label}, expected 0 (${id.slice(0, 12)})`);
      expect(await containersLabelled(`${label}-other`)).to.deep.equal([]);
      expect(await removeLabelled(label)).to.equal(1);
      await expectContainers(label, 0, 'after removal');
    });
  });

  describe('updateReadme', function () {
    const results = JSON.parse(readFileSync(join(REPO_ROOT, 'bench', 'results', 'peers.json'), 'utf8')) as PeersResults;

    it('rewrites only what is between its markers', function () {
      const path = join(scratch, 'README.md');
      writeFileSync(path, 'before\n<!-- bench:peers:start (written by npm run bench:peers) -->\nold\n<!-- bench:peers:end -->\nafter\n');
      expect(updateReadme(path, results)).to.equal(true);
      const text = readFileSync(path, 'utf8');
      expect(text).to.match(/^before\n<!-- bench:peers:start[^\n]*-->\n/);
      expect(text).not.to.contain('\nold\n');
      expect(text).to.contain('| warm, `--parallel --jobs 4` |');
      expect(text).to.match(/<!-- bench:peers:end -->\nafter\n$/);
    });

    it('leaves a file without markers alone', function () {
      const path = join(scratch, 'NO-MARKERS.md');
      writeFileSync(path, 'nothing here\n');
      expect(updateReadme(path, results)).to.equal(false);
      expect(readFileSync(path, 'utf8')).to.equal('nothing here\n');
    });
  });
});
