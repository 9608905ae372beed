// Exercised by the end-of-run checks of spec/e2e/schema-pairs.spec.ts and worker-database.spec.ts
// ("nothing left", "dropped at the end") and spec/e2e/worker-role-attributes.spec.ts (suite databases).
import { createDebug } from '../debug.js';
import type { ResolvedOptions } from '../config/options.js';
import { connectionUrl, type ServerInfo } from '../server/server-info.js';
import { isServerGone } from '../server/server-gone.js';
import { sweepSchemas } from './schema-pool.js';

// Logged under `pgdock:server`, as when the release did this sweep itself.
const log = createDebug('server');

/**
 * At the end of a run, before its lease on `server` goes: drops every schema pair and database the
 * run's workers left (they are done), except those kept on failure, and the databases its suite
 * made as the worker role ({@link sweepSuiteDatabases}). Never throws: a failed sweep is logged,
 * and what it left is swept later as a dead run's.
 */
export async function sweepRun(server: ServerInfo, runId: string, options: Pick<ResolvedOptions, 'workerDatabase' | 'workerUser'>): Promise<void> {
  // A server this process saw go away holds nothing to drop; connecting would only wait.
  if (isServerGone()) return;
  const { default: postgres } = await import('postgres');
  const sql = postgres(connectionUrl(server), { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    const { sweepDatabases } = await import('./database-pool.js');
    const dropped = [...(await sweepSchemas(sql, (mark) => mark.owner.run === runId)), ...(await sweepDatabases(sql, (mark) => mark.owner.run === runId, true))];
    if (options.workerDatabase && options.workerUser) {
      const { sweepSuiteDatabases } = await import('./suite-databases.js');
      dropped.push(...(await sweepSuiteDatabases(sql, options.workerUser, runId, server.provider)));
    }
    if (dropped.length) log('dropped %d schema(s) left by run %s', dropped.length, runId);
  } catch (err) {
    log('could not sweep schemas of run %s: %s', runId, (err as Error).message);
  } finally {
    await sql.end({ timeout: 1 });
  }
}
