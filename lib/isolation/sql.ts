// The SQL pgdock writes about the objects it makes: literals, the privacy of a database, and the one
// way a schema pair or a database is dropped whatever its suite did to it. Covered by
// spec/unit/isolation/sql.spec.ts and spec/integration/isolation/schema-pool.spec.ts (slots, publications).
import type { Sql } from 'postgres';
import { isPlainIdentifier, quoteIdentifier } from './names.js';

/** `ALTER DATABASE`, `DROP DATABASE` and renames wait for sessions that were just ended (SQLSTATE 55006); this many 100 ms tries. */
const IN_USE_TRIES = 50;

/** A SQL string literal. */
export function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** Refuses a name that is not a plain identifier: pgdock writes schema names into SQL unquoted. */
export function assertPlain(...names: string[]): void {
  for (const n of names) if (!isPlainIdentifier(n)) throw new TypeError(`pgdock: refusing to use ${JSON.stringify(n)} as a schema name`);
}

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
 * SQL that takes connections to a database away from `PUBLIC`; its owner and superusers keep them.
 * Postgres grants `CONNECT` and `TEMPORARY` to everyone by default, and `CREATE DATABASE … TEMPLATE`
 * does not copy a template's ACL: each database pgdock makes gets this in the statement that marks it.
 */
export function privateDatabaseSql(name: string): string {
  return `revoke connect, temporary on database ${quoteIdentifier(name)} from public`;
}

/** `array['%a%', '%b%']::text[]`: every name containing one of `names`. */
function containing(names: string[]): string {
  return `array[${names.map((s) => literal(`%${s}%`)).join(', ')}]::text[]`;
}

/**
 * A PL/pgSQL fragment (for a `do` block declaring `r record`): ends and drops the replication slots
 * `where` selects, waiting up to 5 s for an ended session to let its slot go. Slots are cluster-wide,
 * so pgdock finds them by the names they were given after its objects.
 */
function dropSlotsSql(where: string): string {
  return `for r in select slot_name, active_pid from pg_replication_slots where ${where} loop
    if r.active_pid is not null then
      perform pg_terminate_backend(r.active_pid);
      for i in 1..100 loop
        exit when not exists (select 1 from pg_replication_slots where slot_name = r.slot_name and active_pid is not null);
        perform pg_sleep(0.05);
      end loop;
    end if;
    perform pg_drop_replication_slot(r.slot_name);
  end loop;`;
}

function doBlock(body: string): string {
  return `do $pgdock$
declare r record;
begin
  ${body}
end $pgdock$`;
}

/** One SQL text that drops schemas with CASCADE, and the replication slots and publications named after them. */
export function dropSchemasSql(schemas: string[]): string {
  assertPlain(...schemas);
  if (schemas.length === 0) return 'select 1';
  return doBlock(`${dropSlotsSql(`slot_name like any (${containing(schemas)})`)}
  for r in select pubname from pg_publication where pubname like any (${containing(schemas)}) loop
    execute format('drop publication %I', r.pubname);
  end loop;
  drop schema if exists ${schemas.join(', ')} cascade;`);
}

/**
 * Drops one of pgdock's databases whatever its suite did to it. As the admin, first: the flags a
 * database's owner may set are undone (`IS_TEMPLATE true` makes Postgres refuse the drop;
 * `ALLOW_CONNECTIONS false` and `CONNECTION LIMIT 0` go too), and replication slots in it, or named
 * after it or after `schemas` (slots are cluster-wide), are ended and dropped. Then
 * `DROP DATABASE … WITH (FORCE)` ends whatever sessions are still on it. Two round trips.
 * Every path that drops a database pgdock made goes through here; callers pass only marked ones,
 * or those the suite made as the worker role (`sweepSuiteDatabases`).
 */
export async function dropDatabase(sql: Sql, name: string, schemas: string[] = []): Promise<void> {
  await sql.unsafe(
    doBlock(`${dropSlotsSql(`database = ${literal(name)} or slot_name like any (${containing([name, ...schemas])})`)}
  -- Never an invalid database (connlimit -2, a drop under way or interrupted): ALTER on one is FATAL; DROP is what it needs.
  if exists (select 1 from pg_database where datname = ${literal(name)} and datconnlimit <> -2 and (datistemplate or not datallowconn or datconnlimit >= 0)) then
    execute format('alter database %I is_template false allow_connections true connection limit -1', ${literal(name)});
  end if;`),
  );
  await whenUnused(sql, `drop database if exists ${quoteIdentifier(name)} with (force)`);
}
