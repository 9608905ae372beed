// The testcontainers peer's mocha global fixture, written the way its docs suggest: one
// PostgreSqlContainer for the whole run, its URL handed to the workers in DATABASE_URL. Given what
// pgdock's server gets: a tmpfs data folder and the same speed settings. With
// TESTCONTAINERS_REUSE_ENABLE=true (the warm runs) it is a reusable container, left running.
import { PostgreSqlContainer, type StartedPostgreSqlContainer } from '@testcontainers/postgresql';
import { SPEED_ARGS } from '../../lib/server/postgres-args.js';
import { PGDATA } from '../floors.js';
import { PEERS_LABEL } from './peer-labels.js';
import { closeDb } from './peer-db.js';

let started: StartedPostgreSqlContainer | undefined;
const reuse = (): boolean => process.env.TESTCONTAINERS_REUSE_ENABLE === 'true';

export async function mochaGlobalSetup(): Promise<void> {
  const container = new PostgreSqlContainer(process.env.PGDOCK_IMAGE ?? 'pgdock-local/postgres:15')
    .withTmpFs({ [PGDATA]: 'rw' })
    .withCommand(['postgres', ...SPEED_ARGS])
    .withLabels({ [PEERS_LABEL]: process.env.BENCH_PEERS_RUN ?? 'unknown' });
  started = await (reuse() ? container.withReuse() : container).start();
  process.env.DATABASE_URL = started.getConnectionUri();
}

export async function mochaGlobalTeardown(): Promise<void> {
  await closeDb();
  if (started && !reuse()) await started.stop();
}
