// The ends of a database pgdock makes: private to its owner when made, dropped whatever its suite did to it.
import type { Sql } from 'postgres';
import { literal } from './schema-pool.js';
import { quoteIdentifier } from './schema-names.js';

/** `ALTER DATABASE`, `DROP DATABASE` and renames wait for sessions that were just ended (SQLSTATE 55006); this many 100 ms tries. */
const IN_USE_TRIES = 50;

/** Runs `statement` until no session is left on the database it renames or drops (terminated ones linger a moment). */
export async function whenUnused(sql: Sql, statement: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await sql.unsafe(statement);
      return;
    } catch (err) {
      const { code, message } = err as { code?: string; message?: string };
      // 55006 is also a prepared transaction or a replication slot in it: waiting does not end those.
      if (code !== '55006' || !/other users/.test(message ?? '') || i >= IN_USE_TRIES) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Drops one of pgdock's databases whatever its suite did to it. As the admin, first: the flags a
 * database's owner may set are undone (`IS_TEMPLATE true` makes Postgres refuse the drop;
 * `ALLOW_CONNECTIONS false` and `CONNECTION LIMIT 0` go too), and replication slots in it, or named
 * after it or after `schemas` (slots are cluster-wide), are ended and dropped. Then
 * `DROP DATABASE … WITH (FORCE)` ends whatever sessions are still on it. Two round trips.
 * Every path that drops a database pgdock made goes through here; callers pass only marked ones,
 * or those the suite made as the worker role (suite-databases.ts).
 */
export async function dropDatabase(sql: Sql, name: string, schemas: string[] = []): Promise<void> {
  const patterns = `array[${[name, ...schemas].map((s) => literal(`%${s}%`)).join(', ')}]::text[]`;
  await sql.unsafe(`do $pgdock$
declare r record;
begin
  for r in select slot_name, active_pid from pg_replication_slots where database = ${literal(name)} or slot_name like any (${patterns}) loop
    if r.active_pid is not null then
      perform pg_terminate_backend(r.active_pid);
      for i in 1..100 loop
        exit when not exists (select 1 from pg_replication_slots where slot_name = r.slot_name and active_pid is not null);
        perform pg_sleep(0.05);
      end loop;
    end if;
    perform pg_drop_replication_slot(r.slot_name);
  end loop;
  -- Never an invalid database (connlimit -2, a drop under way or interrupted): ALTER on one is FATAL; DROP is what it needs.
  if exists (select 1 from pg_database where datname = ${literal(name)} and datconnlimit <> -2 and (datistemplate or not datallowconn or datconnlimit >= 0)) then
    execute format('alter database %I is_template false allow_connections true connection limit -1', ${literal(name)});
  end if;
end $pgdock$`);
  await whenUnused(sql, `drop database if exists ${quoteIdentifier(name)} with (force)`);
}

/**
 * SQL that takes connections to a database away from `PUBLIC`; its owner and superusers keep them.
 * Postgres grants `CONNECT` and `TEMPORARY` to everyone by default, and `CREATE DATABASE … TEMPLATE`
 * does not copy a template's ACL: each database pgdock makes gets this in the statement that marks it.
 */
export function privateDatabaseSql(name: string): string {
  return `revoke connect, temporary on database ${quoteIdentifier(name)} from public`;
}
