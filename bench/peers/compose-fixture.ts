// The docker-compose peer's mocha global fixture: the server is `docker-compose up -d`'s; wait until
// it answers (a compose v1 `up -d` returns before Postgres does), and close the client at the end.
import { firstQuery } from '../first-query.js';
import { closeDb } from './peer-db.js';

export async function mochaGlobalSetup(): Promise<void> {
  await firstQuery(process.env.DATABASE_URL ?? '', Date.now() + 60_000);
}

export async function mochaGlobalTeardown(): Promise<void> {
  await closeDb();
}
