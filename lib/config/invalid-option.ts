// The error one option's bad value makes. Covered by spec/unit/config/parsers.spec.ts.
import { ErrorCodes, PgdockError, describeValue } from '../errors.js';

/** The hint of a single invalid option; a list of several says it once. */
export function optionHint(source: string): string {
  return `Fix ${source}; see the options table in pgdock's README.`;
}

/** "Expected the `name` option to be `expected`, got `value` (type) (from `source`)." with {@link optionHint}. */
export function invalidOption(name: string, expected: string, value: unknown, source: string): PgdockError {
  return new PgdockError(
    ErrorCodes.INVALID_OPTION,
    `Expected the \`${name}\` option to be ${expected}, got ${describeValue(value)} (from ${source}).`,
    optionHint(source),
    { option: name, source },
  );
}
