import { setTimeout as sleep } from 'node:timers/promises';
import postgres, { type Sql } from 'postgres';
import type { ServerInfo } from './server-info.js';

/** One real SQL round trip; resolves false instead of throwing when the server does not answer. */
export async function probeSql(info: ServerInfo, timeoutMs = 2_000): Promise<boolean> {
  return (await sqlError(info, timeoutMs)) === undefined;
}

/** A one-connection client for a few statements of pgdock's own; the caller ends it. */
export function shortConnection(info: ServerInfo, timeoutMs = 2_000): Sql {
  return postgres({
    host: info.host,
    port: info.port,
    user: info.user,
    pass: info.password,
    database: info.database,
    max: 1,
    connect_timeout: Math.max(1, Math.ceil(timeoutMs / 1000)),
    onnotice: () => {},
  });
}

/** One real SQL round trip: `undefined` when it worked, else why not (the driver's message or code). */
export async function sqlError(info: ServerInfo, timeoutMs = 2_000): Promise<string | undefined> {
  const sql = shortConnection(info, timeoutMs);
  try {
    await sql`select 1`;
    return undefined;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return e.message || e.code || String(err);
  } finally {
    await sql.end({ timeout: 0 }).catch(() => {});
  }
}

export type ContainerCheck = () => Promise<boolean>;

/**
 * Polls with real SQL round trips until one succeeds (`true`), the deadline passes (`false`),
 * or `isAlive` says the server died (`'died'`), which it asks every half second.
 */
export async function waitForSql(info: ServerInfo, deadline: number, isAlive: ContainerCheck): Promise<true | false | 'died'> {
  let lastAliveCheck = Date.now();
  while (Date.now() < deadline) {
    if (await probeSql(info, Math.min(2_000, Math.max(1, deadline - Date.now())))) return true;
    if (Date.now() - lastAliveCheck > 500) {
      lastAliveCheck = Date.now();
      if (!(await isAlive())) return 'died';
    }
    await sleep(15);
  }
  return false;
}
