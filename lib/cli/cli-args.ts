// Covered by spec/unit/cli/cli-args.spec.ts.
import { parseArgs } from 'node:util';

/** Each command's flags; `string` ones take a value (`--server <id>` or `--server=<id>`). */
export const COMMANDS = {
  status: { json: { type: 'boolean' } },
  down: { force: { type: 'boolean' } },
  prune: { prepared: { type: 'boolean' } },
  url: { server: { type: 'string' } },
} as const satisfies Record<string, Record<string, { type: 'boolean' | 'string' }>>;

export type CommandName = keyof typeof COMMANDS;

/** A command's flags as given: `--json` and `--force` as `true`, `--server` as its value. */
export interface CommandLine {
  command: CommandName;
  flags: { json?: boolean; force?: boolean; server?: string; prepared?: boolean };
}

export function isCommand(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

/**
 * Reads a command's arguments with `node:util`'s `parseArgs`, strictly: an unknown flag, a bare
 * argument, a value given to a flag that takes none, or a flag missing its value is a problem, said
 * in pgdock's words (the first one, in order). Node's own strict mode throws on the same cases but
 * names neither the argument as it was typed nor the command, so the tokens are checked here.
 */
export function parseCommandLine(command: CommandName, args: string[]): CommandLine | { problem: string } {
  const options: Record<string, { type: 'boolean' | 'string' }> = COMMANDS[command];
  const { values, tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    const raw = args[token.index]!;
    if (token.kind !== 'option' || !Object.hasOwn(options, token.name) || token.rawName !== `--${token.name}`) {
      return { problem: `${command} does not take ${JSON.stringify(raw)}` };
    }
    if (options[token.name]!.type === 'boolean') {
      if (token.inlineValue) return { problem: `${token.rawName} takes no value` };
    } else if (token.value === undefined || token.value === '' || token.value.startsWith('--')) {
      return { problem: `${token.rawName} needs a value, e.g. ${token.rawName} <id>` };
    }
  }
  return { command, flags: values as CommandLine['flags'] };
}
