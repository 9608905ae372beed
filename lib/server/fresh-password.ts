// Covered by spec/faults/prepared-image.spec.ts and spec/integration/server/providers/embedded-template.spec.ts.
import { setTimeout as sleep } from 'node:timers/promises';
import { createDebug } from '../debug.js';
import { shortConnection, waitForSql, type ContainerCheck } from './readiness.js';
import type { ServerInfo } from './server-info.js';

const log = createDebug('server');

/** Postgres' SQLSTATE for a refused password. */
const BAD_PASSWORD = '28P01';

/** `alter role … password …` for a role name and a password pgdock chose (quoted, not parameters: ALTER ROLE takes none). */
export function setPasswordStatement(user: string, password: string): string {
  return `alter role "${user.replace(/"/g, '""')}" password '${password.replace(/'/g, "''")}'`;
}

/** One attempt: the build password sets `info.password`. `'refused'` when it is refused (already set), else whether it worked. */
async function handOver(info: ServerInfo, buildPassword: string, timeoutMs: number): Promise<true | false | 'refused'> {
  const sql = shortConnection({ ...info, password: buildPassword }, timeoutMs);
  try {
    await sql.unsafe(setPasswordStatement(info.user, info.password));
    return true;
  } catch (err) {
    return (err as { code?: string }).code === BAD_PASSWORD ? 'refused' : false;
  } finally {
    await sql.end({ timeout: 0 }).catch(() => {});
  }
}

/**
 * Waits for a server started from a prepared cluster, whose superuser still has the cluster's build
 * password, and gives it its own (`info.password`) in the first statement that answers. `'refused'`
 * when the build password is refused: a new server's cluster is then not the one prepared (use
 * {@link adoptWithPassword} for one an earlier leader started).
 */
export async function waitAndSetPassword(info: ServerInfo, buildPassword: string, deadline: number, isAlive: ContainerCheck): Promise<true | false | 'died' | 'refused'> {
  let lastAliveCheck = Date.now();
  while (Date.now() < deadline) {
    const outcome = await handOver(info, buildPassword, Math.min(2_000, Math.max(1, deadline - Date.now())));
    if (outcome === true) return true;
    if (outcome === 'refused') return 'refused';
    if (Date.now() - lastAliveCheck > 500) {
      lastAliveCheck = Date.now();
      if (!(await isAlive())) return 'died';
    }
    await sleep(15);
  }
  return false;
}

/**
 * For a running server started from a prepared cluster by an earlier leader: it has its own password
 * unless that leader died between start and hand-over; then this one sets it.
 */
export async function adoptWithPassword(info: ServerInfo, buildPassword: string, deadline: number, isAlive: ContainerCheck): Promise<true | false | 'died'> {
  const outcome = await waitAndSetPassword(info, buildPassword, deadline, isAlive);
  if (outcome !== 'refused') return outcome;
  log('the build password is refused: the server has its own password already');
  return waitForSql(info, deadline, isAlive);
}
