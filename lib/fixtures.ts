import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { LineCounter, parse, parseDocument, visit, type Document, type Scalar } from 'yaml';
import { ErrorCodes, PgdockError } from './errors.js';

/** Values a template can use: nested objects, read as `${a.b.c}`. */
export interface FixtureValues {
  [name: string]: string | number | boolean | null | FixtureValues;
}

/** A rendered fixture: the YAML text (for a config file) and the same data parsed. */
export interface RenderedFixture {
  text: string;
  data: unknown;
  file: string;
}

const PLACEHOLDER = /\$\$\{|\$\{([^}]*)\}/g;
const WHOLE = /^\$\{([^}]+)\}$/;

/** Every placeholder the values offer, e.g. `source.schema`. */
export function knownPlaceholders(values: FixtureValues, prefix = ''): string[] {
  return Object.entries(values).flatMap(([k, v]) =>
    v !== null && typeof v === 'object' ? knownPlaceholders(v, `${prefix}${k}.`) : [`${prefix}${k}`]);
}

function lookup(values: FixtureValues, path: string): { found: boolean; value?: unknown } {
  let current: unknown = values;
  for (const part of path.trim().split('.')) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, part)) return { found: false };
    current = (current as FixtureValues)[part];
  }
  return { found: true, value: current };
}

/** Finds `nameOrPath` under `dir`: a path (absolute or relative), or a name with `.yaml`/`.yml` left off. */
export function resolveFixturePath(nameOrPath: string, dir: string): string {
  const base = isAbsolute(nameOrPath) ? nameOrPath : resolve(dir, nameOrPath);
  const candidates = /\.ya?ml$/.test(base) ? [base] : [`${base}.yaml`, `${base}.yml`, base];
  const found = candidates.find((c) => existsSync(c) && statSync(c).isFile());
  if (found) return found;
  throw new PgdockError(
    ErrorCodes.FIXTURE_MISSING,
    `No fixture ${JSON.stringify(nameOrPath)}: looked for ${candidates.join(', ')}.`,
    `Put the template under ${dir} (the fixturesDir option, env PGDOCK_FIXTURES_DIR) or pass its path.`,
    { fixture: nameOrPath, fixturesDir: dir },
  );
}

function placeholderError(file: string, line: number, problem: string, values: FixtureValues): PgdockError {
  const known = knownPlaceholders(values);
  return new PgdockError(
    ErrorCodes.FIXTURE_PLACEHOLDER,
    `${file}:${line}: ${problem}. Known placeholders: ${known.map((k) => `\${${k}}`).join(', ') || '(none)'}.`,
    'Use one of the known placeholders, pass the value in `extra`, or write $${...} for a literal ${...}.',
    { file, line },
  );
}

/** Substitutes placeholders inside one string; a lone placeholder keeps its value's type. */
function substitute(text: string, values: FixtureValues, fail: (problem: string) => never): unknown {
  const whole = WHOLE.exec(text);
  if (whole) {
    const hit = lookup(values, whole[1]!);
    if (!hit.found) fail(`unknown placeholder \${${whole[1]}}`);
    if (hit.value !== null && typeof hit.value === 'object') fail(`\${${whole[1]}} is a group of values, not one value`);
    return hit.value;
  }
  return text.replace(PLACEHOLDER, (match, path: string | undefined) => {
    if (match === '$${') return '${';
    if (path === undefined || path.trim() === '') fail('an empty placeholder ${}');
    const hit = lookup(values, path!);
    if (!hit.found) fail(`unknown placeholder \${${path}}`);
    if (hit.value !== null && typeof hit.value === 'object') fail(`\${${path}} is a group of values, not one value`);
    return String(hit.value);
  });
}

/**
 * Renders a YAML template with runtime values. Placeholders (`${source.schema}`, `${postgres.url}`,
 * ...) are replaced inside parsed scalars, keys included, and the document is written out again by
 * the YAML library, so any value (`: # ' " \n` and all) parses back to itself. Errors name the
 * file, the line and the known placeholders; a `${` is never left behind silently.
 */
export function renderFixture(nameOrPath: string, values: FixtureValues, fixturesDir = join(process.cwd(), 'fixtures')): RenderedFixture {
  if (typeof nameOrPath !== 'string' || nameOrPath === '') {
    throw new TypeError(`pgdock: renderFixture() needs a fixture name or path, got ${JSON.stringify(nameOrPath)}`);
  }
  const file = resolveFixturePath(nameOrPath, fixturesDir);
  const source = readFileSync(file, 'utf8');
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: true, uniqueKeys: false }) as Document;
  const [first] = doc.errors;
  if (first) {
    const line = first.linePos?.[0]?.line ?? 0;
    throw new PgdockError(
      ErrorCodes.FIXTURE_INVALID,
      `${file}:${line}: the template is not valid YAML: ${first.message.split('\n')[0]}. Known placeholders: ${knownPlaceholders(values).map((k) => `\${${k}}`).join(', ')}.`,
      'Fix the YAML at that line; placeholders go inside values, e.g. `host: ${postgres.host}`.',
      { file, line },
    );
  }
  visit(doc, {
    Scalar(_key, node: Scalar) {
      if (typeof node.value !== 'string' || !node.value.includes('${')) return undefined;
      const line = lineCounter.linePos(node.range?.[0] ?? 0).line;
      const value = substitute(node.value, values, (problem) => {
        throw placeholderError(file, line, problem, values);
      });
      node.value = value;
      node.type = undefined; // let the writer pick a style that round-trips the new value
      return undefined;
    },
  });
  const text = doc.toString();
  return { text, data: parse(text), file };
}

