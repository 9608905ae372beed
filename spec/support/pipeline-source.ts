import type { Sql } from 'postgres';
import { referenceSync, type ReferenceSync } from './reference-sync.js';

/** Source tables as the pipelines expect them: users, orders, events, accounts. */
export async function seedSource(sql: Sql, schema: string, rows = 50): Promise<void> {
  await sql.unsafe(`set search_path to ${schema}`);
  await sql.unsafe(`create table users (id int primary key, name text not null, email text)`);
  await sql.unsafe(`insert into users select g, 'user ' || g, 'u' || g || '@example.com' from generate_series(1, ${rows}) g`);
  await sql.unsafe(`create table orders (id int primary key, customer_id int not null, amount numeric(10,2) not null)`);
  await sql.unsafe(`insert into orders select g, 1 + g % 7, (g * 3.25)::numeric(10,2) from generate_series(1, ${rows * 2}) g`);
  await sql.unsafe(`create table events (id int primary key, kind text, updated_at timestamptz not null)`);
  await sql.unsafe(`insert into events select g, 'e' || g, '2024-01-01'::timestamptz + g * interval '1 minute' from generate_series(1, ${rows}) g`);
  await sql.unsafe(`create table accounts (id int primary key, owner text, balance numeric(10,2))`);
  await sql.unsafe(`insert into accounts values (1, 'ada', 100), (2, 'grace', 200), (3, 'linus', 300)`);
  await sql.unsafe('reset search_path');
}

/** The full matrix runs with PGDOCK_SPEC_PROFILE=full (npm run test:full). */
export const FULL_PROFILE = process.env.PGDOCK_SPEC_PROFILE === 'full';

/**
 * For a pipeline describe block: loads the reference sync once and seeds every test's source schema.
 * Returns the sync (valid inside tests and hooks).
 */
export function usePipelineSuite(): () => ReferenceSync {
  let sync: ReferenceSync | undefined;
  before(async function () {
    sync = await referenceSync();
  });
  beforeEach(async function () {
    await seedSource(this.pg.sql, this.pg.source);
  });
  return () => sync!;
}
