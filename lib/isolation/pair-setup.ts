import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ErrorCodes, PgdockError } from '../errors.js';
import type { ResolvedOptions } from '../config/options.js';
import type { PairSetup } from './schema-pool.js';

function contents(file: string, option: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new PgdockError(
      ErrorCodes.INVALID_OPTION,
      `The \`${option}\` file ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
      `Fix the path in the ${option} option; relative paths start at the project root.`,
      { option, file },
    );
  }
}

/** The pair setup of these options, keyed by a hash of every file's contents: a changed migration never serves stale schemas. */
export function resolvePairSetup(options: ResolvedOptions): PairSetup {
  const hash = createHash('sha256');
  for (const [option, files] of [['sourceSetup', options.sourceSetup], ['destinationSetup', options.destinationSetup]] as const) {
    hash.update(`${option}\0`);
    for (const f of files) hash.update(`${f}\0${contents(f, option)}\0`);
  }
  const setup: PairSetup = { sourceFiles: options.sourceSetup, destinationFiles: options.destinationSetup, key: '' };
  if (options.pairSetupModule) {
    hash.update(`module\0${options.pairSetupModule}\0${contents(options.pairSetupModule, 'pairSetupModule')}`);
    setup.module = pathToFileURL(options.pairSetupModule).href;
  }
  setup.key = hash.digest('hex').slice(0, 12);
  return setup;
}
