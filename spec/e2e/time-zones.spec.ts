/**
 * The assertion specs under several time zones, each in a child mocha whose TZ is set before Node
 * starts (V8 honours a TZ changed at run time only partly). The children join this run's server.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { expect } from 'chai';
import { REPO_ROOT } from '../support/paths.js';
import { onlyOn } from '../support/spec-provider.js';

/** West of UTC with daylight saving, UTC, and east of UTC by a half hour. */
const ZONES = [
  { tz: 'UTC', offset: 0 },
  { tz: 'America/Los_Angeles', offset: 480 },
  { tz: 'Asia/Kolkata', offset: -330 },
];

function assertionSpecs(): string[] {
  const dir = (...parts: string[]) => join(REPO_ROOT, 'dist', 'spec', ...parts);
  const specs = (folder: string) => readdirSync(folder).filter((f) => f.endsWith('.spec.js')).map((f) => join(folder, f));
  return [dir('integration', 'sql-assertions.spec.js'), ...specs(dir('integration', 'chai')), ...specs(dir('unit', 'chai'))];
}

interface ChildReport {
  stats: { tests: number; passes: number; failures: number; pending: number };
  failures: Array<{ fullTitle: string; err: { message?: string } }>;
  passes: Array<{ title: string }>;
}

/** The environment of a separate mocha run: not a worker of this one, same server settings. */
function childEnv(tz: string, offset: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MOCHA_') && !k.startsWith('PGDOCK_RUN_')) env[k] = v;
  return { ...env, TZ: tz, PGDOCK_SPEC_TZ_OFFSET: String(offset) };
}

function runUnder(tz: string, offset: number): Promise<{ code: number | null; report?: ChildReport; output: string }> {
  const mocha = createRequire(import.meta.url).resolve('mocha/bin/mocha.js');
  const args = [mocha, '--no-config', '--require', 'dist/hooks/register.js', '--require', 'dist/spec/support/global-fixtures.js',
    '--timeout', '20000', '--reporter', 'json', ...assertionSpecs()];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: childEnv(tz, offset), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    child.on('close', (code) => {
      let report: ChildReport | undefined;
      try {
        report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as ChildReport;
      } catch {
        report = undefined;
      }
      resolve({ code, report, output: `${stdout}\n${stderr}`.slice(-4000) });
    });
  });
}

describe('pgdock/chai under TZ=UTC, America/Los_Angeles and Asia/Kolkata', function () {
  this.timeout(180_000);
  let runs: Map<string, ReturnType<typeof runUnder>>;

  before(async function () {
    onlyOn(this, ['docker'], 'time-zone handling is in pgdock/chai and postgres.js, not the server: checked once per CI');
    // The server is this run's before the children start, so they join it instead of starting one.
    await this.pg.sql`select 1`;
    runs = new Map(ZONES.map(({ tz, offset }) => [tz, runUnder(tz, offset)]));
  });

  for (const { tz } of ZONES) {
    it(`every assertion spec passes under TZ=${tz}`, async function () {
      const { code, report, output } = await runs.get(tz)!;
      expect(report, output).to.not.equal(undefined);
      const failures = report!.failures.map((f) => `${f.fullTitle}: ${f.err.message ?? ''}`).join('\n\n');
      expect(report!.stats.failures, failures).to.equal(0);
      expect(code, output).to.equal(0);
      // The specs really ran (the must-fail file alone has 40 tests), and in this zone.
      expect(report!.stats.passes).to.be.greaterThan(60);
      expect(report!.stats.pending).to.equal(0);
      expect(report!.passes.map((t) => t.title)).to.include(`runs in the time zone the time-zone spec asked for (TZ=${tz})`);
    });
  }

  it('the children left this run\'s server running', async function () {
    await Promise.all(runs.values());
    const [row] = await this.pg.sql<{ one: number }[]>`select 1 as one`;
    expect(row?.one).to.equal(1);
  });
});
