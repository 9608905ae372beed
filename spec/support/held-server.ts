import { randomUUID } from 'node:crypto';
import postgres, { type Sql } from 'postgres';
import { acquireServerFor } from '../../lib/server/acquire-server.js';
import { resolveOptions } from '../../lib/config/options.js';
import { chooseProvider } from '../../lib/server/choose-provider.js';
import { releaseLease } from '../../lib/server/release-server.js';
import type { RunIdentity } from '../../lib/coordination/run-identity.js';
import { serverPaths } from '../../lib/coordination/server-key.js';
import { connectionUrl, type ServerInfo } from '../../lib/server/server-info.js';
import type { SampleProject } from './sample-project.js';

/** A lease on a sample project's server held by this process, with an admin client on it. */
export interface HeldServer {
  server: ServerInfo;
  admin: Sql;
  release: () => Promise<void>;
}

/** Holds a lease on the project's server from this process, so it outlives the runs and can be inspected after them. */
export async function holdServer(project: SampleProject, extraEnv: Record<string, string> = {}): Promise<HeldServer> {
  const options = resolveOptions({}, project.env(extraEnv), project.dir);
  const run: RunIdentity = { runId: randomUUID(), ownerPid: process.pid, managed: false };
  const server = await acquireServerFor(options, run);
  const chosen = await chooseProvider(options, run);
  const admin = postgres(connectionUrl(server), { max: 2, onnotice: () => {} });
  return {
    server,
    admin,
    release: async () => {
      await admin.end({ timeout: 1 });
      await releaseLease(serverPaths(chosen).dir, run.runId, options);
    },
  };
}

/** Worker databases (and half-made clones) on the server, by name. */
export async function workerDatabases(admin: Sql): Promise<string[]> {
  const rows = await admin<{ name: string }[]>`select datname as name from pg_database
    where shobj_description(oid, 'pg_database') like '%"pair":"worker"%' or datname like 'pgdock\\_wtmp\\_%' order by 1`;
  return rows.map((r) => r.name);
}
