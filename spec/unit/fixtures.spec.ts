import { expect } from 'chai';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ErrorCodes, PgdockError } from '../../lib/errors.js';
import { pgdockErrorFrom } from '../support/should-fail.js';
import { renderFixture, type FixtureValues } from '../../lib/fixtures/fixtures.js';
import { REPO_ROOT } from '../support/paths.js';


describe('renderFixture', function () {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pgdock-fixtures-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const template = (name: string, text: string) => writeFileSync(join(dir, `${name}.yaml`), text);

  it('any string value round-trips through render + parse: alone, embedded, quoted, as a key', function () {
    template('t', [
      '# comment stays',
      'alone: ${v}',
      'embedded: pre ${v} post',
      'quoted: "in quotes ${v}"',
      'single: \'x ${v}\'',
      'list: ["${v}", b]',
      'block: |',
      '  line ${v}',
      '${v}: as a key',
    ].join('\n'));
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), fc.constantFrom(': # \' "\n', 'a: b', '- x', '{[', '', ' ', '*ref', '&a', '!tag', '%', '@', '`', '123', 'true', 'null', '~'), (random, tricky) => {
        for (const v of [random, tricky, `${tricky}${random}`]) {
          const { text, data } = renderFixture('t', { v }, dir);
          expect(parse(text), 'text and data agree').to.deep.equal(data);
          const d = data as Record<string, unknown>;
          expect(d.alone).to.equal(v);
          expect(d.embedded).to.equal(`pre ${v} post`);
          expect(d.quoted).to.equal(`in quotes ${v}`);
          expect(d.single).to.equal(`x ${v}`);
          expect(d.list).to.deep.equal([v, 'b']);
          expect(d.block, "a | block keeps its final newline").to.equal(`line ${v}\n`);
          expect(d[v]).to.equal('as a key');
          expect(text).to.contain('# comment stays');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a ${ is never left behind silently: either every placeholder is filled, or it fails naming it', function () {
    const fragment = fc.oneof(fc.stringMatching(/^[a-z :,]{0,8}$/), fc.constantFrom('${known}', '${unknown}', '${known.deeper}', '${}', '$${literal}'));
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 6 }), (parts) => {
        const line = parts.join('');
        template('p', `value: "${line.replace(/"/g, '')}"\n`);
        let data: unknown;
        try {
          data = renderFixture('p', { known: 'K' }, dir).data;
        } catch (err) {
          expect((err as PgdockError).code).to.equal(ErrorCodes.FIXTURE_PLACEHOLDER);
          expect((err as Error).message).to.match(/p\.yaml:1: .*(unknown placeholder|empty placeholder|group of values)/);
          return;
        }
        const value = String((data as { value: unknown }).value);
        const literals = (line.match(/\$\$\{/g) ?? []).length;
        expect((value.match(/\$\{/g) ?? []).length, 'only escaped $${ ... } stay').to.equal(literals);
      }),
      { numRuns: 500 },
    );
  });

  it('a lone placeholder keeps its value\'s type', function () {
    template('typed', 'port: ${postgres.port}\nflag: ${flag}\nnothing: ${none}\nas_text: "${postgres.port}"\n');
    const { data } = renderFixture('typed', { postgres: { port: 5432 }, flag: true, none: null }, dir);
    expect(data).to.deep.equal({ port: 5432, flag: true, nothing: null, as_text: 5432 });
  });

  it('errors name the file, the line and the known placeholders; never a value', function () {
    template('unknown', 'a: 1\nb: ${source.schma}\n');
    const values: FixtureValues = { source: { schema: 's' }, postgres: { url: 'postgres://u:secret@h:1/d' } };
    const unknown = pgdockErrorFrom(() => renderFixture('unknown', values, dir));
    expect(unknown.code).to.equal(ErrorCodes.FIXTURE_PLACEHOLDER);
    expect(unknown.message).to.contain(`${join(dir, 'unknown.yaml')}:2: unknown placeholder \${source.schma}. Known placeholders: \${source.schema}, \${postgres.url}.`);
    expect(unknown.message).to.not.contain('secret');

    template('broken', 'a: 1\nb: [unclosed\nc: 3\n');
    const broken = pgdockErrorFrom(() => renderFixture('broken', values, dir));
    expect(broken.code).to.equal(ErrorCodes.FIXTURE_INVALID);
    expect(broken.message).to.match(/broken\.yaml:\d+: the template is not valid YAML/).and.to.contain('Known placeholders: ${source.schema}');

    const missing = pgdockErrorFrom(() => renderFixture('nope', values, dir));
    expect(missing.code).to.equal(ErrorCodes.FIXTURE_MISSING);
    expect(missing.message).to.contain(join(dir, 'nope.yaml'));

    template('group', 'x: ${source}\n');
    expect(pgdockErrorFrom(() => renderFixture('group', values, dir)).message).to.contain('${source} is a group of values, not one value');
  });

  it('renders the example pipeline templates', function () {
    const values: FixtureValues = {
      source: { schema: 'src_a_x' }, destination: { schema: 'dst_a_x' },
      postgres: { host: '127.0.0.1', port: 5432, url: 'postgres://postgres:pw@127.0.0.1:5432/postgres', user: 'postgres', database: 'postgres' },
      write_mode: 'upsert', artifact_dir: '/tmp/artifacts',
    };
    for (const name of ['full_refresh', 'incremental', 'cdc', 'transform']) {
      const { data } = renderFixture(`pipelines/${name}`, values, join(REPO_ROOT, 'fixtures'));
      expect(data).to.have.nested.property('source.schema', 'src_a_x');
      expect(data).to.have.nested.property('destination.schema', 'dst_a_x');
      expect(data).to.have.property('sync_mode');
    }
    const cdc = renderFixture('pipelines/cdc', values, join(REPO_ROOT, 'fixtures')).data;
    expect(cdc).to.have.nested.property('source.slot', 'src_a_x_slot');
  });
});
