import { expect } from 'chai';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { exportSurface, type ExportSurface } from '../support/export-surface.js';
import { installedPackageDir } from '../support/installed-package.js';
import { REPO_ROOT } from '../support/paths.js';

const FIXTURE = join(REPO_ROOT, 'spec', 'fixtures', 'export-surface.json');
const UPDATE = 'PGDOCK_SPEC_UPDATE_SURFACE';

/** Replaces one line of a file of the package copy, failing if the line is not there (an edit that misses proves nothing). */
function editLine(file: string, from: string | RegExp, to: string): void {
  const text = readFileSync(file, 'utf8');
  const edited = text.replace(from, to);
  expect(edited, `${file} should contain ${String(from)}`).not.to.equal(text);
  writeFileSync(file, edited);
}

/** The entries and named types whose description differs between two surfaces. */
function differences(a: ExportSurface, b: ExportSurface): string[] {
  const out: string[] = [];
  for (const subpath of new Set([...Object.keys(a.entries), ...Object.keys(b.entries)])) {
    for (const condition of ['import', 'require']) {
      const [x, y] = [a.entries[subpath]?.[condition], b.entries[subpath]?.[condition]];
      if (JSON.stringify(x?.runtime) !== JSON.stringify(y?.runtime)) out.push(`${subpath} ${condition} runtime`);
      if (JSON.stringify(x?.declarations) !== JSON.stringify(y?.declarations)) out.push(`${subpath} ${condition} declarations`);
    }
  }
  for (const name of new Set([...Object.keys(a.types), ...Object.keys(b.types)])) {
    if (JSON.stringify(a.types[name]) !== JSON.stringify(b.types[name])) out.push(`type ${name}`);
  }
  if (JSON.stringify(a.bin) !== JSON.stringify(b.bin)) out.push('bin');
  return out.sort();
}

describe('the packed package keeps its public exports', function () {
  this.timeout(300_000);
  let packageDir: string;
  let surface: ExportSurface;

  before(async function () {
    packageDir = join(await installedPackageDir('esm'), 'pgdock');
    surface = await exportSurface(packageDir);
  });

  it(`exports what spec/fixtures/export-surface.json records (${UPDATE}=1 rewrites it, on purpose)`, function () {
    if (process.env[UPDATE] === '1') {
      mkdirSync(dirname(FIXTURE), { recursive: true });
      writeFileSync(FIXTURE, `${JSON.stringify(surface, null, 2)}\n`);
    }
    const recorded = JSON.parse(readFileSync(FIXTURE, 'utf8')) as ExportSurface;
    expect(surface, `the packed package's exports or declarations changed (${differences(recorded, surface).join(', ')}). ` +
      `If that is meant (and semver allows it), regenerate the record: npm run build && ${UPDATE}=1 npx mocha --no-config ` +
      `--require ./dist/hooks/register.js --require ./dist/spec/support/global-fixtures.js dist/spec/e2e/export-surface.spec.js`).to.deep.equal(recorded);
    // What the surface must hold for the comparison to mean anything.
    const exported = Object.keys((JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { exports: object }).exports).sort();
    expect(Object.keys(surface.entries), 'every entry of package.json#exports is in the surface').to.deep.equal(exported);
    expect(exported).to.include.members(['.', './chai', './fast-check', './package.json', './register']);
    expect(surface.entries['.']!.import!.declarations).to.include('acquireServer: value (input?: PgdockOptions | undefined) => Promise<ServerHandle>');
    expect(surface.entries['.']!.import!.runtime).to.include('acquireServer: function');
    expect(surface.entries['./chai']!.require!.runtime).to.include('(module): function');
    expect(surface.types.ServerHandle).to.have.length(1);
  });

  describe('in a copy of the package with one declaration or export edited', function () {
    let copy: string;
    beforeEach(function () {
      // Beside the install's node_modules, so the copy's dependencies resolve as the original's do.
      copy = join(mkdtempSync(join(dirname(dirname(packageDir)), 'surface-')), 'pgdock');
      cpSync(packageDir, copy, { recursive: true });
    });
    afterEach(function () {
      rmSync(dirname(copy), { recursive: true, force: true });
    });

    it('an unedited copy has the same surface (the comparison does not depend on where the package is)', async function () {
      expect(await exportSurface(copy)).to.deep.equal(surface);
    });

    it('a type moved to another file leaves the surface as it was', async function () {
      const from = join(copy, 'dist', 'lib', 'server', 'acquire-server.d.ts');
      editLine(from, /export interface ServerHandle extends ServerInfo \{\n\s*release\(\): Promise<void>;\n\}\n/, "export type { ServerHandle } from './server-handle.js';\n");
      writeFileSync(join(dirname(from), 'server-handle.d.ts'), "import type { ServerInfo } from './server-info.js';\n/** Moved. */\nexport interface ServerHandle extends ServerInfo {\n    release(): Promise<void>;\n}\n");
      expect(differences(surface, await exportSurface(copy))).to.deep.equal([]);
    });

    it('must fail: a changed signature changes the surface', async function () {
      editLine(join(copy, 'dist', 'lib', 'server', 'acquire-server.d.ts'), 'acquireServer(input?: PgdockOptions)', 'acquireServer(input: PgdockOptions)');
      expect(differences(surface, await exportSurface(copy))).to.deep.equal(['. import declarations', '. require declarations']);
    });

    it('must fail: a changed member of an exported type changes the surface', async function () {
      editLine(join(copy, 'dist', 'lib', 'server', 'acquire-server.d.ts'), 'release(): Promise<void>;', 'release(force?: boolean): Promise<void>;');
      expect(differences(surface, await exportSurface(copy))).to.deep.equal(['type ServerHandle']);
    });

    it('must fail: a removed export changes the surface, in the declarations and at run time', async function () {
      editLine(join(copy, 'dist', 'lib', 'index.d.ts'), /^export \{ pg \} from .*$/m, '');
      editLine(join(copy, 'dist', 'lib', 'index.js'), /^export \{ pg \} from .*$/m, '');
      expect(differences(surface, await exportSurface(copy))).to.deep.equal([
        '. import declarations', '. import runtime', '. require declarations', '. require runtime',
      ]);
    });
  });
});
