import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveOptions } from '../../lib/config/options.js';
import { serverPaths } from '../../lib/coordination/server-key.js';
import { projectServers } from '../support/server-watch.js';
import { onlyOn, specProvider } from '../support/spec-provider.js';
import { recordingSpec, useSampleProjects } from '../support/sample-project.js';

const PREPARE_SPEC = `import { prepareOnce } from 'pgdock';
describe('prepared', function () {
  it('gets a prepared value', async function () {
    const value = await prepareOnce('records-spec', () => ({ ok: true }));
    if (!value || value.ok !== true) throw new Error('bad prepared value: ' + JSON.stringify(value));
  });
});
`;

/** What a malformed record may look like: each must read as garbage, never as live, never a crash. */
const VARIANTS: Array<[string, string | null]> = [
  ['null', 'null'],
  ['{}', '{}'],
  ['wrong types', '{"version":"1","status":7,"runId":42,"pid":"12","ownerPid":"x","hostname":[],"createdAt":{},"info":"x","key":null}'],
  ['truncated JSON', '{"version":1,"status":"ready","key":"ab'],
  ['a folder in its place', null],
];

function plant(file: string, content: string | null): void {
  rmSync(file, { recursive: true, force: true });
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  if (content === null) mkdirSync(join(file, 'inside'), { recursive: true, mode: 0o700 });
  else writeFileSync(file, content, { mode: 0o600 });
}

function findFiles(dir: string, name: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (entry === name) found.push(path);
    else if (statSync(path).isDirectory()) found.push(...findFiles(path, name));
  }
  return found;
}

describe('faults: malformed records never break a run', function () {
  this.timeout(180_000);
  const newProject = useSampleProjects();

  it('null, {}, wrong types, truncated JSON or a folder in place of every record: the next run is green', async function () {
    onlyOn(this, ['docker', 'embedded'], 'the records of servers pgdock manages; an external server has only leases, checked by the other specs');
    const project = await newProject({ 'a.spec.js': recordingSpec('a'), 'b.spec.js': recordingSpec('b'), 'p.spec.js': PREPARE_SPEC });
    const paths = serverPaths({ ...resolveOptions({}, project.env(), project.dir), provider: specProvider() });
    const run = async (label: string, reuse: string) => {
      project.resetResults();
      const result = await project.mocha(['--parallel', '--jobs', '2'], { PGDOCK_REUSE: reuse }).done;
      expect(result.code, `${label}\n${result.stdout}${result.stderr}`).to.equal(0);
      expect(project.resultFiles(), label).to.have.length(2);
      expect(result.stdout + result.stderr, `${label}: no raw crash`).to.not.match(/Cannot read properties|TypeError|SyntaxError/);
    };
    await run('first run', 'true');
    const prepared = findFiles(project.stateDir, 'result.json');
    expect(prepared, 'the prepareOnce record exists').to.have.length(1);
    const records = [paths.stateFile, join(paths.leasesDir, `${randomUUID()}.json`), join(project.stateDir, `${project.projectKey}-provider-${randomUUID()}.json`), prepared[0]!, join(`${paths.stateFile}.lock`, 'owner.json')];
    if (specProvider() === 'embedded') records.push(join(paths.dir, 'embedded.json'));
    for (const [label, content] of VARIANTS) {
      for (const file of records) plant(file, content);
      await run(`after planting ${label}`, 'true');
      expect(existsSync(`${paths.stateFile}.lock`), `${label}: the garbage lock was taken over and released`).to.equal(false);
    }
    // A malformed lease is never live: a reuse-off run removes the server it would have held.
    for (const [label, content] of VARIANTS) plant(join(paths.leasesDir, `planted-${label.replace(/\W/g, '')}.json`), content);
    await run('reuse off after planted leases', 'false');
    expect(await projectServers(project.projectKey), 'no planted lease kept the server').to.deep.equal([]);
  });
});
