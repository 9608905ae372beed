/**
 * Property tests as a user writes them (ESM consumer from the packed tarball, fast-check beside it):
 * `pgdock/fast-check`'s pgProperty gives each generated case a fresh pair with the pair setup applied,
 * and with keepOnFailure the shrunk counterexample's pair is the one kept, with its psql line.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useSampleProjects } from '../support/sample-project.js';
import { onlyOn } from '../support/spec-provider.js';

const SPEC = `import * as fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { pgProperty } from 'pgdock/fast-check';
const record = (name, value) => writeFileSync(process.env.SAMPLE_RESULTS + '/' + name + '.json', JSON.stringify(value));
const insert = async (pair, xs) => { for (const [i, x] of xs.entries()) await pair.sql.unsafe('insert into ' + pair.table('items') + ' values ($1, $2)', [i, String(x)]); };

describe('properties', function () {
  this.timeout(120000);
  it('each case on a fresh pair with the setup applied', async function () {
    const seen = new Set();
    let dirty = 0;
    await pgProperty([fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 5 })], async (pair, xs) => {
      seen.add(pair.source);
      const [{ n }] = await pair.sql.unsafe('select count(*)::int as n from ' + pair.table('items'));
      if (n !== 0) dirty++;
      await insert(pair, xs);
    }, { numRuns: 100 });
    record('fresh', { pairs: seen.size, dirty });
  });
  it('a counterexample is kept', async function () {
    await pgProperty([fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1 })], async (pair, xs) => {
      await insert(pair, xs);
      const [{ total }] = await pair.sql.unsafe('select coalesce(sum(label::int), 0)::int as total from ' + pair.table('items'));
      return total < 50;
    }, { seed: 42, numRuns: 200 });
  });
  it('what is left of the failing test', async function () {
    let kept = [];
    for (const until = Date.now() + 15000; Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
      kept = await this.pg.sql\`select nspname from pg_namespace where nspname like 'src_a_counterexample_is_kept_%'\`;
      if (kept.length <= 1) break;
    }
    const labels = kept.length === 1 ? (await this.pg.sql.unsafe('select label from ' + kept[0].nspname + '.items order by id')).map((r) => r.label) : null;
    record('kept', { schemas: kept.map((k) => k.nspname), labels });
  });
});
`;

describe('property tests with a fresh pair per case (pgdock/fast-check)', function () {
  this.timeout(300_000);
  const newProject = useSampleProjects();
  beforeEach(function () {
    onlyOn(this, ['docker'], 'pairs come from the same pool on every provider (the in-process specs of freshPair and pgProperty run on each)');
  });

  it('100 cases on 100 pairs, none seeing another\'s rows; the shrunk counterexample\'s pair is kept with its psql line', async function () {
    const project = await newProject({ 'properties.spec.js': SPEC, 'items.sql': 'create table items (id int primary key, label text);\n' });
    const result = await project.mocha([], { PGDOCK_SOURCE_SETUP: 'spec/items.sql', PGDOCK_KEEP_ON_FAILURE: 'true' }).done;
    const output = result.stdout + result.stderr;
    expect(result.code, output).to.equal(1);
    expect(output).to.match(/Counterexample: \[\[50\]\]/);
    const read = (name: string) => JSON.parse(readFileSync(join(project.resultsDir, `${name}.json`), 'utf8')) as unknown;
    expect(read('fresh'), 'every case had its own pair, each with the setup table and no rows').to.deep.equal({ pairs: 100, dirty: 0 });
    const kept = read('kept') as { schemas: string[]; labels: string[] | null };
    expect(kept.schemas, 'one pair kept: the counterexample\'s').to.have.length(1);
    expect(kept.labels, 'it holds the shrunk counterexample').to.deep.equal(['50']);
    expect(output).to.contain(`pgdock kept a fresh pair, schemas ${kept.schemas[0]} and ${kept.schemas[0]!.replace(/^src_/, 'dst_')} until `);
    expect(output).to.contain(`PGOPTIONS='-c search_path=${kept.schemas[0]},`);
  });
});
