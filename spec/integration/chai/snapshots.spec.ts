/**
 * matchSnapshot in-process, against the snapshots committed beside this file
 * (__snapshots__/snapshots.spec.ts.snap.yaml). The whole lifecycle (first run writes, CI, update,
 * obsolete entries, --parallel) is spec/e2e/snapshots.spec.ts, from a consumer project.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SnapshotFile, snapshotPath } from '../../../lib/chai/snapshot-file.js';
import { expect } from '../../support/sql-expect.js';
import { shouldFail } from '../../support/should-fail.js';

/** Runs `fn` with environment variables set (or removed with undefined), then puts them back. */
async function withEnv(vars: Record<string, string | undefined>, fn: () => Promise<void>): Promise<void> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const set = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  };
  set(vars);
  try {
    await fn();
  } finally {
    set(saved);
  }
}

const stored = (key: string): unknown => new SnapshotFile(snapshotPath(fileURLToPath(import.meta.url))).entries.get(key);

describe('pgdock/chai matchSnapshot', function () {
  beforeEach(async function () {
    await this.pg.sql.unsafe(`
      create table ${this.pg.table('orders')} (id serial primary key, customer text, total numeric(10,2), placed_at timestamptz default now(), tags jsonb);
      insert into ${this.pg.table('orders')} (customer, total, tags) values ('ada', 10.5, '{"b": 1, "a": [true, null]}'), ('grace', 0, null), ('ada', 7, '[]');
      create table ${this.pg.table('events')} (kind text, n int);
      insert into ${this.pg.table('events')} values ('b', 2), ('a', 1), ('c', 3), ('a', 0);`);
  });

  it('a table in primary-key order, a changing column redacted, types kept (numbers, json by value)', async function () {
    await expect(this.pg.table('orders')).to.matchSnapshot({ redact: ['placed_at'] });
  });

  it('a table without a primary key, and a query without .ordered: sorted, so storage order does not matter', async function () {
    await this.pg.sql.unsafe(`delete from ${this.pg.table('events')} where kind = 'b'; insert into ${this.pg.table('events')} values ('b', 2)`);
    await expect(this.pg.table('events')).to.matchSnapshot();
    await expect(this.pg.sql`select kind, n from ${this.pg.sql(this.pg.source)}.events`).to.matchSnapshot();
  });

  it('a query with .ordered keeps its own order; a redact function stores what it returns', async function () {
    await expect(this.pg.sql`select kind, n from ${this.pg.sql(this.pg.source)}.events order by n desc`).to.have.ordered.matchSnapshot();
    await expect(this.pg.table('orders')).to.matchSnapshot({ redact: (row) => ({ customer: row.customer, big: Number(row.total) > 5 }) });
  });

  // The must-fail cases run with PGDOCK_UPDATE_SNAPSHOTS unset, whatever the run's: an update run must not rewrite them.
  it('must fail: a changed row fails with the row diff, and the stored snapshot is left as it was', async function () {
    await this.pg.sql.unsafe(`update ${this.pg.table('orders')} set total = 99 where customer = 'grace'`);
    const before = stored(`${this.test!.fullTitle()} 1`);
    expect(before, 'the committed snapshot holds the unchanged rows').to.be.an('array').with.length(3);
    await withEnv({ PGDOCK_UPDATE_SNAPSHOTS: undefined }, () => shouldFail(expect(this.pg.table('orders')).to.matchSnapshot({ redact: ['placed_at'] }),
      /to match the snapshot ".* 1" in .*snapshots\.spec\.ts\.snap\.yaml\nmissing rows \(1\):\n {2}- .*"customer":"grace".*"total":0,[\s\S]*unexpected rows \(1\):\n {2}\+ .*"total":99,[\s\S]*PGDOCK_UPDATE_SNAPSHOTS=1/).then(() => {}));
    expect(stored(`${this.test!.fullTitle()} 1`)).to.deep.equal(before);
  });

  it('must fail: the same rows in another order fail against an ordered snapshot', async function () {
    await withEnv({ PGDOCK_UPDATE_SNAPSHOTS: undefined }, () => shouldFail(expect(this.pg.sql`select kind, n from ${this.pg.sql(this.pg.source)}.events order by n asc`).to.have.ordered.matchSnapshot(),
      'same rows, but out of order from position 0').then(() => {}));
  });

  it('must fail: a redact function that adds a key shows it in the diff (the stored rows lack it)', async function () {
    await withEnv({ PGDOCK_UPDATE_SNAPSHOTS: undefined }, () => shouldFail(
      expect(this.pg.table('events')).to.matchSnapshot({ redact: (row) => ({ ...row, extra: 1 }) }), /missing rows \(4\)[\s\S]*"extra":1/).then(() => {}));
  });

  it('must fail: CI set and no snapshot stored: fails and writes nothing', async function () {
    await withEnv({ CI: 'true', PGDOCK_UPDATE_SNAPSHOTS: undefined }, async () => {
      await shouldFail(expect(this.pg.table('events')).to.matchSnapshot(), /has none, and CI is set, so none is written/);
    });
    expect(stored(`${this.test!.fullTitle()} 1`)).to.equal(undefined);
  });

  it('bad use is an error, not a pass: options, .not, a redacted column that does not exist', async function () {
    expect(() => expect(this.pg.table('orders')).to.matchSnapshot({ redcat: ['id'] } as never)).to.throw(TypeError, /takes \{ redact/);
    expect(() => expect(this.pg.table('orders')).not.to.matchSnapshot()).to.throw(TypeError, /not\.matchSnapshot\(\) is not supported/);
    expect(() => expect(42).to.matchSnapshot()).to.throw(TypeError, /needs a table name/);
    const err = await shouldFail(expect(this.pg.table('orders')).to.matchSnapshot({ redact: ['placedAt'] }), /redacts placedAt, which the table .* does not have/);
    expect(err).to.have.property('code', 'ERR_PGDOCK_NO_SUCH_COLUMN');
  });

  describe('snapshot files', function () {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'pgdock-snap-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('beside the source a compiled spec\'s map names, else beside the spec', function () {
      writeFileSync(join(dir, 'a.spec.js'), '');
      expect(snapshotPath(join(dir, 'a.spec.js'))).to.equal(join(dir, '__snapshots__', 'a.spec.js.snap.yaml'));
      writeFileSync(join(dir, 'b.spec.ts'), '');
      writeFileSync(join(dir, 'out.js.map'), JSON.stringify({ sources: ['b.spec.ts'] }));
      expect(snapshotPath(join(dir, 'out.js'))).to.equal(join(dir, '__snapshots__', 'b.spec.ts.snap.yaml'));
      writeFileSync(join(dir, 'gone.js.map'), JSON.stringify({ sources: ['missing.ts'] }));
      expect(snapshotPath(join(dir, 'gone.js')), 'a map naming no file that exists').to.equal(join(dir, '__snapshots__', 'gone.js.snap.yaml'));
    });

    it('written whole as sorted YAML, read back equal; a broken file is ERR_PGDOCK_SNAPSHOT_INVALID, not an empty one', function () {
      const path = join(dir, 'x.snap.yaml');
      const file = new SnapshotFile(path);
      file.change([['t 10', [{ a: '1' }]], ['t 2', [{ a: 1, b: null, c: { x: ['y'] } }]]]);
      const text = readFileSync(path, 'utf8');
      expect(text.indexOf('t 2:')).to.be.lessThan(text.indexOf('t 10:'));
      expect([...new SnapshotFile(path).entries]).to.deep.equal([['t 2', [{ a: 1, b: null, c: { x: ['y'] } }]], ['t 10', [{ a: '1' }]]]);
      const awkward = [{ s: ' \n' }, { s: '  \n\n' }, { s: 'a\n \nb' }, { s: '123' }, { s: 'true' }, { s: '' }, { s: '# x' }];
      file.change([['awkward 1', awkward]]);
      expect(new SnapshotFile(path).entries.get('awkward 1'), 'strings read back as written (yaml 2 loses a whitespace-only line in a block)').to.deep.equal(awkward);
      for (const broken of ['t 1: [unclosed', '- a list', 't 1: 3']) {
        writeFileSync(path, broken);
        expect(() => new SnapshotFile(path), broken).to.throw(/ERR_PGDOCK_SNAPSHOT_INVALID|the snapshot file .* (is not valid YAML|does not hold a map|holds something other)/)
          .with.property('code', 'ERR_PGDOCK_SNAPSHOT_INVALID');
      }
    });
  });
});
