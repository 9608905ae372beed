import { expect } from 'chai';
import type { ConsumerFlavor } from '../support/installed-package.js';
import { useSampleProjects } from '../support/sample-project.js';
import { onlyOn } from '../support/spec-provider.js';

const HEADERS: Record<ConsumerFlavor, string> = {
  cjs: `const chai = require('chai');
chai.use(require('pgdock/chai'));
const { expect } = chai;
const { pg } = require('pgdock');
`,
  esm: `import * as chai from 'chai';
import sqlAssertions from 'pgdock/chai';
import { pg } from 'pgdock';
chai.use(sqlAssertions);
const { expect } = chai;
`,
};

/** The same small suite, in either module system. */
const SUITE = `
describe('a consumer', function () {
  beforeEach(async function () {
    await this.pg.sql.unsafe(\`create table \${this.pg.table('users')} (id int primary key, name text);
      create table \${this.pg.table('staging')} (id int);
      insert into \${this.pg.table('users')} values (1, 'ada'), (2, 'grace')\`);
  });

  it('tables, rows, rowCount, columns', async function () {
    await expect(this.pg.table('users')).to.have.rowCount(2);
    await expect(this.pg.table('users')).to.have.rows([{ id: 2, name: 'grace' }, { id: 1, name: 'ada' }]);
    await expect(this.pg.table('users')).to.have.columns({ id: 'integer', name: 'text' });
  });

  it('exist and empty', async function () {
    await expect(this.pg.table('users')).to.exist;
    await expect(this.pg.table('missing')).not.to.exist;
    await expect(this.pg.table('staging')).to.be.empty;
  });

  it('arrow functions reach the test through pg', async () => {
    await expect(pg.table('users')).to.have.rowCount(2);
    const rows = await pg.sql\`select name from \${pg.sql(pg.source)}.users order by id\`;
    expect(rows.map((r) => r.name)).to.deep.equal(['ada', 'grace']);
  });

  it('a wrong count fails', async () => {
    await expect(pg.table('users')).to.have.rowCount(3);
  });
});
`;

interface JsonReport {
  stats: { passes: number; failures: number };
  failures: Array<{ title: string; err: { message?: string } }>;
}

describe('CommonJS and ES module consumers', function () {
  this.timeout(300_000); // the first use installs the packed tarball with its tools
  const newProject = useSampleProjects();
  beforeEach(function () {
    onlyOn(this, ['docker', 'embedded'], 'how the package installs and loads does not depend on the server; checked on docker and embedded');
  });

  for (const [flavor, tools] of [['cjs', 'require(), chai 4, mocha 10'], ['esm', 'import, chai 6, mocha 12']] as const) {
    for (const [label, args] of [['serial', []], ['--parallel --jobs 4', ['--parallel', '--jobs', '4']]] as const) {
      it(`${flavor}: ${tools}: the same suite passes (and a wrong count fails), ${label}`, async function () {
        // Two files, so that --parallel really spreads the suite over workers.
        const project = await newProject({ 'consumer.spec.js': HEADERS[flavor] + SUITE, 'second.spec.js': HEADERS[flavor] + SUITE.replace("describe('a consumer'", "describe('a second consumer'") }, flavor);
        const result = await project.mocha([...args, '--reporter', 'json']).done;
        const report = JSON.parse(result.stdout.slice(result.stdout.indexOf('{'))) as JsonReport;
        expect(report.stats.passes, result.stdout + result.stderr).to.equal(6);
        expect(report.failures.map((f) => f.title)).to.deep.equal(['a wrong count fails', 'a wrong count fails']);
        for (const failure of report.failures) expect(failure.err.message).to.match(/to have 3 row\(s\) but it has 2$/);
        expect(result.code, 'the two failures').to.equal(2);
        expect(result.stderr.match(/^pgdock: \w+ server (cold|warm) /gm), 'one summary line, from the main process').to.have.length(1);
      });
    }

    it(`${flavor}: ${tools}: the budget gate fails a run whose tests all pass, and passes it within its limits`, async function () {
      const passing = SUITE.replace(/\n {2}it\('a wrong count fails'[\s\S]*?\n {2}}\);\n/, '\n');
      const project = await newProject({ 'consumer.spec.js': HEADERS[flavor] + passing }, flavor);
      const over = await project.mocha(['--parallel', '--jobs', '2'], { PGDOCK_BUDGET_CLAIM_P95_MS: '0' }).done;
      expect(over.stdout, over.stderr).to.include('3 passing');
      expect(over.code, `mocha ${flavor === 'cjs' ? '10 swallows a global teardown\'s error' : '12'}: the gate still fails the run`).to.equal(1);
      expect(over.stderr).to.match(/ERR_PGDOCK_BUDGET_EXCEEDED[\s\S]*pair claim p95 \(3 claims\) was [\d.]+ ms, over the limit of 0 ms/);
      const within = await project.mocha(['--parallel', '--jobs', '2'], { PGDOCK_BUDGET_CLAIM_P95_MS: '60000' }).done;
      expect(within.code, within.stderr).to.equal(0);
      expect(within.stderr).to.not.include('ERR_PGDOCK_BUDGET_EXCEEDED');
    });
  }
});
