import postgres from 'postgres';
import { connectionUrl, type ServerInfo } from '../../lib/server/server-info.js';

/** One statement on a server, on a connection of its own. */
export async function queryServer<T>(info: ServerInfo, text: string): Promise<T[]> {
  const sql = postgres(connectionUrl(info), { max: 1, onnotice: () => {} });
  try {
    return (await sql.unsafe(text)) as unknown as T[];
  } finally {
    await sql.end();
  }
}

/** The refusal Postgres gives a wrong password (its SQLSTATE), or `undefined` when the password is accepted. */
export async function passwordProblem(info: ServerInfo, password: string): Promise<string | undefined> {
  try {
    await queryServer({ ...info, password }, 'select 1');
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code ?? (err as Error).message;
  }
}

/** Whether a schema is gone, waiting up to 5 s for a background drop to land. */
export async function schemaGone(sql: postgres.Sql, name: string): Promise<boolean> {
  for (const until = Date.now() + 5_000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
    const rows = await sql`select 1 from pg_namespace where nspname = ${name}`;
    if (rows.length === 0) return true;
  }
  return false;
}
