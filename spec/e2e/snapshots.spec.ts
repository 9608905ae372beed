/**
 * The snapshot lifecycle as a user lives it, in a consumer project installed from the packed
 * tarball (ESM, chai 6, mocha 12): first run writes, the next passes, a change fails with a diff,
 * CI refuses to write, PGDOCK_UPDATE_SNAPSHOTS=1 rewrites, obsolete entries are listed and removed
 * only on update, --grep touches nothing it did not run, and --parallel files keep their own files.
 */
import { expect } from 'chai';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { useSampleProjects, type SampleProject } from '../support/sample-project.js';
import { onlyOn } from '../support/spec-provider.js';

const HEADER = `import * as chai from 'chai';
import sqlAssertions from 'pgdock/chai';
chai.use(sqlAssertions);
const { expect } = chai;
`;

/** Orders whose quantity comes from SAMPLE_QTY, so a run can change one row. */
const ORDERS = (name: string, withQuery = true) => `${HEADER}
describe('${name}', function () {
  beforeEach(async function () {
    await this.pg.sql.unsafe(\`create table \${this.pg.table('orders')} (id serial primary key, item text, qty int, created_at timestamptz default clock_timestamp());
      insert into \${this.pg.table('orders')} (item, qty) values ('apple', 3), ('pear', \${Number(process.env.SAMPLE_QTY || 1)})\`);
  });
  it('the table', async function () {
    await expect(this.pg.table('orders')).to.matchSnapshot({ redact: ['created_at'] });
  });
${withQuery ? `  it('two queries', async function () {
    await expect(this.pg.sql\`select item from \${this.pg.sql(this.pg.source)}.orders\`).to.matchSnapshot();
    await expect(this.pg.sql\`select sum(qty)::int as total from \${this.pg.sql(this.pg.source)}.orders\`).to.matchSnapshot();
  });
` : ''}});
`;

type Run = Awaited<ReturnType<SampleProject['mocha']>['done']>;

describe('snapshots (matchSnapshot) in a consumer project', function () {
  this.timeout(300_000);
  const newProject = useSampleProjects();
  beforeEach(function () {
    onlyOn(this, ['docker'], 'snapshot files do not depend on the server (the in-process spec, spec/integration/chai/snapshots.spec.ts, runs on every provider)');
  });

  it('first run writes, then passes; a change fails with a diff; CI never writes; update rewrites; obsolete entries wait for update; --grep removes nothing', async function () {
    const project = await newProject({ 'orders.spec.js': ORDERS('orders') });
    const snap = join(project.dir, 'spec', '__snapshots__', 'orders.spec.js.snap.yaml');
    const run = (env: Record<string, string> = {}, args: string[] = []): Promise<Run> => project.mocha(args, { CI: '', PGDOCK_REUSE: 'true', ...env }).done; // one server for the whole story
    const keys = () => Object.keys(parse(readFileSync(snap, 'utf8')) as object);

    const ci = await run({ CI: 'true' });
    expect(ci.code, 'CI with no snapshot: both tests fail').to.equal(2);
    expect(ci.stdout).to.contain('has none, and CI is set, so none is written');
    expect(existsSync(snap), 'CI wrote nothing').to.equal(false);

    const first = await run();
    expect(first.code, first.stdout + first.stderr).to.equal(0);
    expect(first.stderr).to.contain('pgdock: wrote 3 new snapshot(s) to spec/__snapshots__/orders.spec.js.snap.yaml');
    expect(keys()).to.deep.equal(['orders the table 1', 'orders two queries 1', 'orders two queries 2']);
    const written = readFileSync(snap, 'utf8');
    expect(written).to.contain('created_at: "[redacted]"');

    const second = await run({ CI: 'true' });
    expect(second.code, second.stdout + second.stderr).to.equal(0);
    expect(second.stderr).not.to.contain('pgdock: wrote');
    expect(readFileSync(snap, 'utf8'), 'a passing run leaves the file as it was').to.equal(written);

    const changed = await run({ SAMPLE_QTY: '5' });
    expect(changed.code, 'the table and the sum differ').to.equal(2);
    expect(changed.stdout).to.match(/to match the snapshot "orders the table 1" in spec\/__snapshots__\/orders\.spec\.js\.snap\.yaml\n\s*missing rows \(1\):\n\s*- \{"id":2,"item":"pear","qty":1,/);
    expect(changed.stdout).to.match(/unexpected rows \(1\):\n\s*\+ \{"id":2,"item":"pear","qty":5,/);
    expect(readFileSync(snap, 'utf8'), 'a failing run does not write').to.equal(written);

    const update = await run({ SAMPLE_QTY: '5', PGDOCK_UPDATE_SNAPSHOTS: '1' });
    expect(update.code, update.stdout + update.stderr).to.equal(0);
    expect(update.stderr).to.contain('pgdock: rewrote 2 snapshot(s)');
    expect((await run({ SAMPLE_QTY: '5' })).code, 'the rewritten snapshots pass').to.equal(0);

    // --grep runs one test, even with update on: the other test's snapshots are neither obsolete nor removed.
    const grep = await run({ SAMPLE_QTY: '5', PGDOCK_UPDATE_SNAPSHOTS: '1' }, ['--grep', 'the table']);
    expect(grep.code, grep.stdout + grep.stderr).to.equal(0);
    expect(grep.stdout, 'one test ran').to.match(/1 passing/);
    expect(grep.stderr, 'a --grep run reports no obsolete entries').not.to.match(/obsolete|removed/);
    expect(keys(), 'nothing removed').to.have.length(3);

    // The query test is gone from the file: its two entries are obsolete, listed but kept.
    writeFileSync(join(project.dir, 'spec', 'orders.spec.js'), ORDERS('orders', false));
    const listed = await run({ SAMPLE_QTY: '5' });
    expect(listed.code).to.equal(0);
    expect(listed.stderr).to.contain('pgdock: 2 obsolete snapshot(s) in spec/__snapshots__/orders.spec.js.snap.yaml (no test takes them any more): "orders two queries 1", "orders two queries 2". PGDOCK_UPDATE_SNAPSHOTS=1 removes them.');
    expect(keys(), 'listed, not removed').to.have.length(3);
    const removed = await run({ SAMPLE_QTY: '5', PGDOCK_UPDATE_SNAPSHOTS: '1' });
    expect(removed.stderr).to.contain('pgdock: removed 2 obsolete snapshot(s)');
    expect(keys()).to.deep.equal(['orders the table 1']);
  });

  it('--parallel --jobs 4: each file writes only its own snapshot file, whole, over repeated runs', async function () {
    const names = ['alpha', 'beta', 'gamma', 'delta'];
    const project = await newProject(Object.fromEntries(names.map((n) => [`${n}.spec.js`, ORDERS(n)])));
    for (const round of [1, 2]) {
      const result = await project.mocha(['--parallel', '--jobs', '4'], { CI: round === 1 ? '' : 'true', PGDOCK_REUSE: 'true' }).done;
      expect(result.code, `round ${round}: ${result.stdout}${result.stderr}`).to.equal(0);
      for (const name of names) {
        const entries = parse(readFileSync(join(project.dir, 'spec', '__snapshots__', `${name}.spec.js.snap.yaml`), 'utf8')) as Record<string, unknown[]>;
        expect(Object.keys(entries), `${name}, round ${round}`).to.deep.equal([`${name} the table 1`, `${name} two queries 1`, `${name} two queries 2`]);
        expect(entries[`${name} the table 1`]).to.have.length(2);
      }
    }
    rmSync(join(project.dir, 'spec', '__snapshots__', 'beta.spec.js.snap.yaml'));
    const ci = await project.mocha(['--parallel', '--jobs', '4'], { CI: 'true', PGDOCK_REUSE: 'true' }).done;
    expect(ci.code, 'must fail: only beta\'s missing snapshots fail, in CI').to.equal(2);
    expect(existsSync(join(project.dir, 'spec', '__snapshots__', 'beta.spec.js.snap.yaml'))).to.equal(false);
  });
});
