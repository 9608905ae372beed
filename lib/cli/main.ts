#!/usr/bin/env node
import { PgdockError } from '../errors.js';
import { resolveOptions } from '../config/options.js';
import { downProject, formatStatus, pruneContainers, statusReport } from './commands.js';
import { serverUrl } from './server-url.js';

const USAGE = `Usage: pgdock <command>

Commands:
  status [--json]      this project's servers, of every config: provider, container or pid,
                       host:port, age, leases, image and settings; * marks the one a run with
                       this environment uses
  down [--force]       remove this project's servers (every config, containers and embedded); one
                       a live run holds is listed and left, unless --force
  prune                remove every pgdock server no live run is using (and past its start-up window)
  url [--server <id>]  print the connection URL (for psql) of the server a run with this
                       environment uses, else of the project's only running server; --server
                       picks one by the id \`status\` shows
`;

/** Each command's flags; a flag mapped to true takes a value (`--server <id>` or `--server=<id>`). */
const COMMANDS: Record<string, Record<string, boolean>> = { status: { '--json': false }, down: { '--force': false }, prune: {}, url: { '--server': true } };

type Parsed = { flags: Set<string>; values: Map<string, string> } | { problem: string };

function parseFlags(command: string, args: string[]): Parsed {
  const known = COMMANDS[command]!;
  const flags = new Set<string>();
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const at = arg.indexOf('=');
    const name = arg.startsWith('--') && at > 0 ? arg.slice(0, at) : arg;
    if (!(name in known)) return { problem: `${command} does not take ${JSON.stringify(arg)}` };
    if (!known[name]) {
      if (name !== arg) return { problem: `${name} takes no value` };
      flags.add(name);
      continue;
    }
    const value = name !== arg ? arg.slice(at + 1) : args[++i];
    if (value === undefined || value === '' || value.startsWith('--')) return { problem: `${name} needs a value, e.g. ${name} <id>` };
    values.set(name, value);
  }
  return { flags, values };
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (!(command in COMMANDS)) {
    process.stderr.write(`pgdock: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
    return 2;
  }
  const parsed = parseFlags(command, rest);
  if ('problem' in parsed) {
    process.stderr.write(`pgdock: ${parsed.problem}\n\n${USAGE}`);
    return 2;
  }
  const { flags, values } = parsed;
  const options = resolveOptions();
  switch (command) {
    case 'status': {
      const report = await statusReport(options);
      process.stdout.write(flags.has('--json') ? `${JSON.stringify(report, null, 2)}\n` : `${formatStatus(report)}\n`);
      return 0;
    }
    case 'down':
    case 'prune': {
      const { removed, kept } = command === 'down' ? await downProject(options, flags.has('--force')) : await pruneContainers(options);
      const lines = [...removed.map((r) => `removed ${r}`), ...kept.map((k) => `kept ${k}`)];
      process.stdout.write(lines.length ? `${lines.join('\n')}\n` : 'nothing to remove\n');
      return 0;
    }
    default: {
      const { url, note } = await serverUrl(options, values.get('--server'));
      if (note) process.stderr.write(`pgdock: ${note}\n`);
      process.stdout.write(`${url}\n`);
      return 0;
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const message = err instanceof PgdockError ? `${err.code}: ${err.message}` : String((err as Error)?.message ?? err);
    process.stderr.write(`pgdock: ${message}\n`);
    process.exitCode = 1;
  },
);
