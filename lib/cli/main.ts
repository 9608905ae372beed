#!/usr/bin/env node
// Covered by spec/e2e/cli-servers.spec.ts and spec/faults/cli-safety.spec.ts (the bin, run as users run it).
import { PgdockError } from '../errors.js';
import { resolveOptions } from '../config/options.js';
import { downProject, formatStatus, pruneContainers, statusReport } from './commands.js';
import { isCommand, parseCommandLine } from './cli-args.js';
import { serverUrl } from './server-url.js';

const USAGE = `Usage: pgdock <command>

Commands:
  status [--json]      this project's servers, of every config: provider, container or pid,
                       host:port, age, leases, image and settings; * marks the one a run with
                       this environment uses
  down [--force]       remove this project's servers (every config, containers and embedded); one
                       a live run holds is listed and left, unless --force
  prune [--prepared]   remove every pgdock server no live run is using (and past its start-up window),
                       and the prepared clusters kept for fast cold starts that are stale (base
                       image or binaries gone or replaced); --prepared removes every one not in use
  url [--server <id>]  print the connection URL (for psql) of the server a run with this
                       environment uses, else of the project's only running server; --server
                       picks one by the id \`status\` shows
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (!isCommand(command)) {
    process.stderr.write(`pgdock: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
    return 2;
  }
  const parsed = parseCommandLine(command, rest);
  if ('problem' in parsed) {
    process.stderr.write(`pgdock: ${parsed.problem}\n\n${USAGE}`);
    return 2;
  }
  const { flags } = parsed;
  const options = resolveOptions();
  switch (command) {
    case 'status': {
      const report = await statusReport(options);
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatStatus(report)}\n`);
      return 0;
    }
    case 'down':
    case 'prune': {
      const { removed, kept } = command === 'down' ? await downProject(options, flags.force === true) : await pruneContainers(options, flags.prepared === true);
      const lines = [...removed.map((r) => `removed ${r}`), ...kept.map((k) => `kept ${k}`)];
      process.stdout.write(lines.length ? `${lines.join('\n')}\n` : 'nothing to remove\n');
      return 0;
    }
    default: {
      const { url, note } = await serverUrl(options, flags.server);
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
