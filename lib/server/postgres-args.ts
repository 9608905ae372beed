// Covered by spec/unit/server/postgres-args.spec.ts.

/** Settings that make a throwaway test server fast: nothing is ever synced to disk. Every provider that starts Postgres passes them. */
export const SPEED_ARGS = ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];

/** The `postgres` arguments a server pgdock starts runs with: the speed settings, then the user's `postgresArgs`. */
export function serverArgs(postgresArgs: readonly string[]): string[] {
  return [...SPEED_ARGS, ...postgresArgs];
}

/**
 * The user's arguments (`postgresArgs`) read back from a `postgres …` command line pgdock started;
 * a command pgdock did not make (no `postgres` first, or no speed settings after it) comes back whole.
 */
export function userArgsOf(command: readonly string[]): string[] {
  const ours = command[0] === 'postgres' && SPEED_ARGS.every((arg, i) => command[i + 1] === arg);
  return ours ? command.slice(1 + SPEED_ARGS.length) : [...command];
}

/** Whether a failed server's log blames its settings (the user's `postgresArgs`), not its data folder. */
export function blamesSettings(logTail: string): boolean {
  return /unrecognized configuration parameter|invalid value for parameter|parameter "[^"]+" (requires|cannot)|configuration file .* contains errors|could not bind|already in use/i.test(logTail);
}
