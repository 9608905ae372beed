#!/usr/bin/env node
import { PgdockError } from '../errors.js';
import { resolveOptions } from '../options.js';
import { downProject, formatStatus, pruneContainers, serverUrl, statusReport } from './commands.js';

const USAGE = `Usage: pgdock <command>

Commands:
  status [--json]  this project's servers: provider, container or pid, host:port, age, leases, reuse
  down [--force]   remove this project's servers (containers and embedded); one a live run
                   holds is listed and left, unless --force
  prune            remove every pgdock server no live run is using (and past its start-up window)
  url              print the connection URL of the running server (for psql)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const flags = new Set(rest);
  const allowed: Record<string, string[]> = { status: ['--json'], down: ['--force'], prune: [], url: [] };
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  const known = allowed[command];
  if (!known) {
    process.stderr.write(`pgdock: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
    return 2;
  }
  const unknownFlag = rest.find((f) => !known.includes(f));
  if (unknownFlag) {
    process.stderr.write(`pgdock: ${command} does not take ${JSON.stringify(unknownFlag)}\n\n${USAGE}`);
    return 2;
  }
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
    default:
      process.stdout.write(`${await serverUrl(options)}\n`);
      return 0;
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
