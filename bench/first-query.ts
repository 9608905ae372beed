// Polls a server until its first query answers: how a suite without pgdock waits for a fresh server.
import postgres from 'postgres';

/** Tries `select 1` on a new connection every `everyMs` until it answers; throws at `deadline` (epoch ms). */
export async function firstQuery(url: string, deadline: number, everyMs = 15): Promise<void> {
  while (Date.now() < deadline) {
    const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      await sql`select 1`;
      return;
    } catch {
      await new Promise((r) => setTimeout(r, everyMs));
    } finally {
      await sql.end({ timeout: 0 }).catch(() => {});
    }
  }
  throw new Error('the server never answered a first query');
}
