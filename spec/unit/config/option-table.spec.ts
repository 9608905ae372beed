import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { OPTION_NAMES, OPTION_TABLE, type DefaultContext, type OptionRow } from '../../../lib/config/option-table.js';
import { OPTION_ENV, resolveOptions } from '../../../lib/config/options.js';
import { parseCount } from '../../../lib/config/parsers.js';
import { REPO_ROOT } from '../../support/paths.js';

const context: DefaultContext = { env: {}, cwd: '/project/sub', projectRoot: '/project', startupTimeout: 60_000 };

/** Rows whose default, given back as a value, their own parser rejects or reads as something else. */
function defaultsTheirParserRejects(rows: Readonly<Record<string, OptionRow<unknown>>>): string[] {
  return Object.entries(rows).filter(([name, row]) => {
    const value = row.defaultValue(context);
    if (value === undefined) return false;
    try {
      return !isDeepStrictEqual(row.parse(value, { name, source: 'defaults', projectRoot: context.projectRoot }), value);
    } catch {
      return true;
    }
  }).map(([name]) => name);
}

/** Options the user docs' tables (README.md, docs/*.md) have no `| \`name\` | \`PGDOCK_…\` |` row for. */
function undocumented(rows: Readonly<Record<string, OptionRow<unknown>>>): string[] {
  const docs = join(REPO_ROOT, 'docs');
  const files = [join(REPO_ROOT, 'README.md'), ...(existsSync(docs) ? readdirSync(docs).filter((f) => f.endsWith('.md')).map((f) => join(docs, f)) : [])];
  const text = files.map((file) => readFileSync(file, 'utf8')).join('\n');
  return Object.entries(rows).filter(([name, row]) => !text.includes(`| \`${name}\` | \`${row.env}\` |`)).map(([name]) => name);
}

describe('the option table', function () {
  it('names each option\'s variable PGDOCK_ + its name in upper snake case, and OPTION_ENV is read from it', function () {
    for (const name of OPTION_NAMES) expect(OPTION_TABLE[name].env, name).to.equal(`PGDOCK_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`);
    expect(Object.entries(OPTION_ENV)).to.deep.equal(OPTION_NAMES.map((name) => [name, OPTION_TABLE[name].env]));
  });

  it('holds defaults its own parsers accept as they are', function () {
    expect(defaultsTheirParserRejects(OPTION_TABLE)).to.deep.equal([]);
    const planted = { ...OPTION_TABLE, tooMany: { env: 'PGDOCK_TOO_MANY', parse: parseCount, defaultValue: () => 100 } };
    expect(defaultsTheirParserRejects(planted), 'a default out of its parser\'s range is found').to.deep.equal(['tooMany']);
  });

  it('lockTimeout follows startupTimeout, which resolves before it', function () {
    expect(OPTION_NAMES.indexOf('startupTimeout')).to.be.lessThan(OPTION_NAMES.indexOf('lockTimeout'));
    expect(resolveOptions({ projectRoot: '/project', startupTimeout: 5000 }, {}).lockTimeout).to.equal(35_000);
  });

  it('every option has its row in the user docs\' options table, with its variable', function () {
    expect(undocumented(OPTION_TABLE)).to.deep.equal([]);
    const planted = { ...OPTION_TABLE, notDocumented: { env: 'PGDOCK_NOT_DOCUMENTED', parse: parseCount, defaultValue: () => 1 } };
    expect(undocumented(planted)).to.deep.equal(['notDocumented']);
  });
});
