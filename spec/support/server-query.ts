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
