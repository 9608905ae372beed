// Covered by spec/unit/config/option-problems.spec.ts and spec/unit/config/options.spec.ts.
import { closestName } from './did-you-mean.js';
import { ErrorCodes, PgdockError } from '../errors.js';
import { optionHint } from './invalid-option.js';
import { OPTION_NAMES, OPTION_TABLE, type OptionName, type OptionValues } from './option-table.js';

/**
 * `PGDOCK_*` variables that are no option: `PGDOCK_RUN_*` is what mocha's main process tells its
 * workers (run id, owner pid, jobs), `PGDOCK_SPEC_*` belongs to pgdock's own test suite.
 * Any other `PGDOCK_` variable pgdock sets or reads for itself must be added here, or it is
 * reported as unknown (spec/unit/config/option-problems.spec.ts checks the sources for such names).
 */
export const INTERNAL_ENV_PREFIXES: readonly string[] = ['PGDOCK_RUN_', 'PGDOCK_SPEC_'];

/** Keys of a config object (package.json#pgdock, or the arguments) that name no option of the table. */
export function unknownOptionProblems(keys: readonly string[], source: string): PgdockError[] {
  const known: readonly string[] = OPTION_NAMES;
  return keys.filter((key) => !known.includes(key)).map((key) => {
    const near = closestName(key, known);
    const tail = near ? `did you mean \`${near}\`?` : `the options are ${known.join(', ')}.`;
    return new PgdockError(ErrorCodes.INVALID_OPTION, `\`${key}\` is not a pgdock option (from ${source}); ${tail}`, optionHint(source), { option: key, source });
  });
}

/** `PGDOCK_*` variables (set, not empty) that are neither an option's variable (in the table) nor pgdock's own. */
export function unknownEnvProblems(env: Readonly<Record<string, string | undefined>>): PgdockError[] {
  const known = OPTION_NAMES.map((name) => OPTION_TABLE[name].env);
  const names = Object.keys(env)
    .filter((name) => name.startsWith('PGDOCK_') && env[name] !== undefined && env[name] !== '')
    .filter((name) => !known.includes(name) && !INTERNAL_ENV_PREFIXES.some((prefix) => name.startsWith(prefix)))
    .sort();
  return names.map((name) => {
    const near = closestName(name.slice('PGDOCK_'.length), known.map((k) => k.slice('PGDOCK_'.length)));
    const tail = near ? `did you mean PGDOCK_${near}?` : 'pgdock reads no such variable (the README lists them).';
    return new PgdockError(
      ErrorCodes.INVALID_OPTION,
      `The environment variable ${name} is not a pgdock option (from the environment); ${tail}`,
      `Rename or unset ${name}; see the options table in pgdock's README.`,
      { option: name, source: 'environment' },
    );
  });
}

/**
 * One error for every problem found: the problem itself when there is one, else a list naming
 * each (where it came from, what was expected, what was given), so one run shows them all.
 */
export function combineProblems(problems: readonly PgdockError[]): PgdockError | undefined {
  if (problems.length <= 1) return problems[0];
  const layer = (p: PgdockError): number => {
    const source = String(p.context.source ?? '');
    return source === 'arguments' ? 2 : source === 'environment' || source.startsWith('PGDOCK_') ? 1 : 0;
  };
  // In the order the layers apply: package.json#pgdock, then the environment, then arguments.
  const ordered = [...problems].sort((a, b) => layer(a) - layer(b));
  const lines = ordered.map((p) => {
    const source = typeof p.context.source === 'string' ? p.context.source : '';
    const own = p.hint !== optionHint(source) && !p.hint.startsWith('Rename or unset PGDOCK_') ? `\n      ${p.hint}` : '';
    return `  - ${p.summary}${own}`;
  });
  const names = ordered.map((p) => String(p.context.option ?? '?'));
  return new PgdockError(
    ErrorCodes.INVALID_OPTION,
    `${problems.length} pgdock options are invalid:\n${lines.join('\n')}`,
    "Fix each one where its line says it came from; the options table in pgdock's README lists every option, its variable and its default.",
    { option: names[0], options: names.join(', '), count: problems.length },
  );
}

/**
 * Options valid on their own that do not go together, each reported only when the option it needs
 * is not itself among the `problems` already found.
 */
export function conflictProblems(values: OptionValues, sourceOf: (name: OptionName) => string, problems: readonly PgdockError[]): PgdockError[] {
  const found: PgdockError[] = [];
  const invalid = (name: OptionName): boolean => problems.some((p) => p.context.option === name);
  if (values.provider === 'external' && !values.url && !invalid('url')) {
    found.push(new PgdockError(
      ErrorCodes.INVALID_OPTION,
      `The external provider needs the server's URL, and none is set (provider from ${sourceOf('provider')}).`,
      `Set ${OPTION_TABLE.url.env}=postgres://user:password@host:5432/database, or choose another provider.`,
      { option: 'url' },
    ));
  }
  if (values.workerRoleAttributes.length > 0 && !values.workerUser && !invalid('workerUser')) {
    const source = sourceOf('workerRoleAttributes');
    found.push(new PgdockError(
      ErrorCodes.INVALID_OPTION,
      `The \`workerRoleAttributes\` option (from ${source}) gives rights to the role \`workerUser\` names, and none is set: the suite would log in as pgdock's admin role.`,
      `Set workerUser (${OPTION_TABLE.workerUser.env}) to the role the suite expects, or remove workerRoleAttributes.`,
      { option: 'workerRoleAttributes', source },
    ));
  }
  return found;
}
