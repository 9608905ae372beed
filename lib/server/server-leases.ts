// Covered by spec/e2e/shared-server.spec.ts (leases in the server).
import { createDebug } from '../debug.js';
import { isLease, isLeaseLive, RUN_ID_PATTERN, type Lease } from '../coordination/leases.js';
import { shortConnection } from './readiness.js';
import type { ServerInfo } from './server-info.js';

const log = createDebug('lease');

/**
 * Leases are kept on the server too: runs with different state folders (or different users) can
 * share one container, and only the server sees all of them. A run that would remove the server
 * asks it first whether another live run holds it.
 */
const TABLE = 'pgdock_meta.leases';
const CREATE = `select pg_advisory_xact_lock(7283551004); create schema if not exists pgdock_meta; create table if not exists ${TABLE} (run_id text primary key, lease jsonb not null)`;

function isMissingTable(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === '42P01' || code === '3F000';
}

/**
 * Records `lease` on the server: one SQL round trip, which also proves the server answers (it
 * replaces a plain `select 1`). `false` when the server did not answer.
 */
export async function recordServerLease(info: ServerInfo, lease: Lease, timeoutMs = 2_000): Promise<boolean> {
  if (!RUN_ID_PATTERN.test(lease.runId)) throw new TypeError(`pgdock: not a run id: ${lease.runId}`);
  const sql = shortConnection(info, timeoutMs);
  const insert = () => sql`insert into pgdock_meta.leases (run_id, lease) values (${lease.runId}, ${sql.json(lease as never)}) on conflict (run_id) do nothing`;
  try {
    try {
      await insert();
    } catch (err) {
      if (!isMissingTable(err)) throw err;
      await sql.begin(async (tx) => {
        await tx.unsafe(CREATE);
      });
      await insert();
    }
    return true;
  } catch (err) {
    log('recording lease %s on the server failed: %s', lease.runId, (err as Error).message);
    return false;
  } finally {
    await sql.end({ timeout: 0 }).catch(() => {});
  }
}

/**
 * The live leases other runs hold on the server (this run's and dead runs' rows are deleted on
 * the way). `undefined` when the server does not answer: nobody can be using it then.
 */
export async function otherLiveServerLeases(info: ServerInfo, runId: string | undefined, timeoutMs = 2_000): Promise<Lease[] | undefined> {
  const sql = shortConnection(info, timeoutMs);
  try {
    let rows: Array<{ run_id: string; lease: unknown }>;
    try {
      rows = await sql<Array<{ run_id: string; lease: unknown }>>`select run_id, lease from pgdock_meta.leases`;
    } catch (err) {
      if (isMissingTable(err)) return [];
      throw err;
    }
    const live: Lease[] = [];
    const gone: string[] = [];
    for (const row of rows) {
      if (row.run_id !== runId && isLease(row.lease) && isLeaseLive(row.lease)) live.push(row.lease);
      else gone.push(row.run_id);
    }
    if (gone.length) await sql`delete from pgdock_meta.leases where run_id in ${sql(gone)}`;
    return live;
  } catch (err) {
    log('reading leases on the server failed: %s', (err as Error).message);
    return undefined;
  } finally {
    await sql.end({ timeout: 0 }).catch(() => {});
  }
}

/** Removes a run's lease from the server (its run ended); a server that does not answer has nothing to remove. */
export async function removeServerLease(info: ServerInfo, runId: string, timeoutMs = 2_000): Promise<void> {
  const sql = shortConnection(info, timeoutMs);
  try {
    await sql`delete from pgdock_meta.leases where run_id = ${runId}`;
  } catch (err) {
    if (!isMissingTable(err)) log('removing lease %s on the server failed: %s', runId, (err as Error).message);
  } finally {
    await sql.end({ timeout: 0 }).catch(() => {});
  }
}
