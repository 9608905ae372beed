import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { useSampleProjects } from '../support/sample-project.js';

const run = promisify(execFile);

const TYPED_SPEC = `import type {} from 'pgdock/register';
import { acquireServer, PgdockError, type PgContext, type ServerHandle } from 'pgdock';
import * as chai from 'chai';
import pgdockChai from 'pgdock/chai';

chai.use(pgdockChai);
const { expect } = chai;

describe('typed', function () {
  it('has this.pg', async function () {
    const source: string = this.pg.source;
    const rows = await this.pg.sql<{ n: number }[]>\`select 1 as n\`;
    const n: number = rows[0]!.n;
    const port: number = this.pg.server.port;
    const table: string = this.pg.table('users', 'destination');
    const pg: PgContext = this.pg;
    const acquire: () => Promise<ServerHandle> = acquireServer;
    // @ts-expect-error not part of this.pg
    this.pg.nope;
    // @ts-expect-error a role is source or destination
    this.pg.table('users', 'sideways');
    const counted: PromiseLike<void> = expect(table).to.have.rowCount(2);
    await expect(this.pg.sql\`select 1\`).to.have.ordered.rows([{ '?column?': 1 }]);
    await expect(table).to.include.columns({ id: 'integer' });
    // @ts-expect-error rowCount takes a number
    expect(table).to.have.rowCount('2');
    void [source, n, port, table, pg, acquire, PgdockError, counted];
  });
});
`;

describe('the packed package, as a user installs it', function () {
  this.timeout(120_000);
  const newProject = useSampleProjects();

  it('types this.pg and the public API for TypeScript users (strict, no skipLibCheck)', async function () {
    const project = await newProject({});
    mkdirSync(join(project.dir, 'ts'));
    writeFileSync(join(project.dir, 'ts', 'typed.spec.ts'), TYPED_SPEC);
    writeFileSync(join(project.dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, types: ['mocha', 'node', 'chai'] },
      include: ['ts'],
    }));
    const tsc = join(project.dir, 'node_modules', 'typescript', 'bin', 'tsc');
    const { stdout } = await run(process.execPath, [tsc, '-p', project.dir]).catch((err: { stdout: string }) => ({ stdout: err.stdout }));
    expect(stdout).to.equal('');
  });

  it('exports only what its map names, and imports without side effects', async function () {
    const project = await newProject({});
    const probe = `const before = { listeners: process.listenerCount('SIGINT'), env: Object.keys(process.env).length };
const api = await import('pgdock'); const hooks = await import('pgdock/register');
const after = { listeners: process.listenerCount('SIGINT'), env: Object.keys(process.env).length };
let deep = 'blocked'; try { await import('pgdock/dist/lib/options.js'); deep = 'open'; } catch {}
console.log(JSON.stringify({ api: Object.keys(api).sort(), hooks: Object.keys(hooks).sort(), same: JSON.stringify(before) === JSON.stringify(after), deep }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: project.dir, env: project.env() });
    const seen = JSON.parse(stdout) as { api: string[]; hooks: string[]; same: boolean; deep: string };
    expect(seen.hooks).to.deep.equal(['mochaGlobalSetup', 'mochaGlobalTeardown', 'mochaHooks']);
    expect(seen.api).to.include.members(['acquireServer', 'PgdockError', 'ErrorCodes', 'resolveOptions']);
    expect(seen.same, 'no signal handlers or env changes at import').to.equal(true);
    expect(seen.deep, 'internals stay behind the exports map').to.equal('blocked');
  });

  it('ships no source map that points at a file the package does not hold', async function () {
    const project = await newProject({});
    const root = realpathSync(join(project.dir, 'node_modules', 'pgdock'));
    const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
    const missing: string[] = [];
    for (const file of files(root)) {
      const refs: string[] = [];
      if (file.endsWith('.js')) refs.push(...[...readFileSync(file, 'utf8').matchAll(/^\/\/# sourceMappingURL=(\S+)$/gm)].map((m) => m[1]!));
      if (file.endsWith('.map')) refs.push(...((JSON.parse(readFileSync(file, 'utf8')) as { sources?: string[] }).sources ?? []));
      for (const ref of refs) if (!existsSync(resolve(dirname(file), ref))) missing.push(`${file.slice(root.length + 1)} -> ${ref}`);
    }
    expect(missing).to.deep.equal([]);
  });
});
