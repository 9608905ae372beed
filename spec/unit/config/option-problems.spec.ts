import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { INTERNAL_ENV_PREFIXES } from '../../../lib/config/option-problems.js';
import { OPTION_ENV } from '../../../lib/config/options.js';
import { REPO_ROOT } from '../../support/paths.js';

/** The repository's own text files (sources, specs, docs, fixtures), not what is built or installed. */
function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (['node_modules', 'dist', '.git', 'reports'].includes(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|cjs|js|mjs|md|json|sh|ya?ml)$/.test(name)) out.push(path);
  }
  return out;
}

/** Names the specs use on purpose, to be reported as unknown. */
const DELIBERATELY_UNKNOWN = ['PGDOCK_RESUE', 'PGDOCK_WIBBLE', 'PGDOCK_WORKER_ROLE_ATTRIBUTE', 'PGDOCK_TOO_MANY', 'PGDOCK_NOT_DOCUMENTED'];

describe('unknown PGDOCK_* variables', function () {
  it('every PGDOCK_ name the code, specs and docs use is an option\'s variable or pgdock\'s own, so none is reported as unknown', function () {
    const texts = sourceFiles(REPO_ROOT).map((file) => readFileSync(file, 'utf8'));
    // `\b` skips error codes (ERR_PGDOCK_…); constants declared in TypeScript are names, not variables.
    const constants = new Set(texts.flatMap((t) => [...t.matchAll(/\bconst (PGDOCK_[A-Z0-9_]+)\b/g)].map((m) => m[1]!)));
    const used = new Set(texts.flatMap((t) => [...t.matchAll(/\bPGDOCK_[A-Z0-9_]*[A-Z0-9]\b/g)].map((m) => m[0])));
    const known = [...Object.values(OPTION_ENV), ...DELIBERATELY_UNKNOWN];
    const strangers = [...used].filter((name) => !constants.has(name) && !known.includes(name) && !INTERNAL_ENV_PREFIXES.some((p) => name.startsWith(p)));
    expect(used.size, 'the scan found the option variables').to.be.greaterThan(20);
    expect(strangers, 'add them to INTERNAL_ENV_PREFIXES (lib/config/option-problems.ts) or make them options').to.deep.equal([]);
  });
});
