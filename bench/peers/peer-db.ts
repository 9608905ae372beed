// The peers' database client (testcontainers, docker-compose): one postgres.js client per process,
// from DATABASE_URL, made on first use; the global teardown closes it so a serial run can exit.
import postgres, { type Sql } from 'postgres';

let client: Sql | undefined;

export function db(): Sql {
  if (!client) {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error('DATABASE_URL is not set: the global fixture sets it');
    client = postgres(url, { onnotice: () => {} });
  }
  return client;
}

export async function closeDb(): Promise<void> {
  const open = client;
  client = undefined;
  await open?.end({ timeout: 5 });
}
