// The docker-compose (v1) peer: Debian's `docker-compose` package, a one-service compose file with
// the same image and settings as pgdock's server, `up -d` / `down` timed as part of a cold run.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SPEED_ARGS } from '../../lib/server/postgres-args.js';
import { PGDATA } from '../floors.js';

const run = promisify(execFile);

async function composeVersion(): Promise<string | undefined> {
  try {
    return (await run('docker-compose', ['version', '--short'])).stdout.trim();
  } catch {
    return undefined;
  }
}

/** docker-compose's version; installs Debian's package with apt-get first when it is missing (and says so). */
export async function ensureCompose(log: (line: string) => void): Promise<{ version: string; installedNow: boolean }> {
  const present = await composeVersion();
  if (present) return { version: present, installedNow: false };
  if (process.getuid?.() !== 0) throw new Error('docker-compose is missing: install Debian\'s package (`sudo apt-get install docker-compose`) and run again');
  log('docker-compose is missing: installing Debian\'s docker-compose package with apt-get ...');
  const install = () => run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'docker-compose'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  await install().catch(async () => {
    await run('apt-get', ['update', '-qq']);
    await install();
  });
  const version = await composeVersion();
  if (!version) throw new Error('apt-get installed docker-compose, but `docker-compose version` still fails');
  log(`installed docker-compose ${version} (Debian's package) with apt-get`);
  return { version, installedNow: true };
}

/** A port on 127.0.0.1 nobody listens on right now: the compose file publishes Postgres there, as a user's would. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export class ComposeProject {
  readonly url: string;

  constructor(private readonly dir: string, private readonly name: string, port: number, image: string, label: string) {
    this.url = `postgres://postgres:bench@127.0.0.1:${port}/postgres`;
    const yaml = [
      'version: "3.8"',
      'services:',
      '  db:',
      `    image: ${JSON.stringify(image)}`,
      `    command: ${JSON.stringify(['postgres', ...SPEED_ARGS])}`,
      '    environment:',
      '      POSTGRES_PASSWORD: bench',
      `    tmpfs: [${JSON.stringify(PGDATA)}]`,
      `    ports: ["127.0.0.1:${port}:5432"]`,
      '    labels:',
      `      ${label.split('=')[0]}: ${JSON.stringify(label.split('=')[1])}`,
      '',
    ];
    writeFileSync(join(dir, 'docker-compose.yml'), yaml.join('\n'));
  }

  private compose(args: string[]): Promise<unknown> {
    return run('docker-compose', ['-p', this.name, ...args], { cwd: this.dir });
  }

  up(): Promise<unknown> {
    return this.compose(['up', '-d']);
  }

  /** Removes the project's container and network (what `docker-compose down` does). */
  down(): Promise<unknown> {
    return this.compose(['down', '-v']);
  }
}
