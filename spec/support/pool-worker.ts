// A worker process owning a SchemaPool, driven over IPC by the model-based spec: killing it is a
// real crash (its connections die, its in-flight transactions abort). It starts like the pool
// thread does: sweep what dead owners left, then fill in the background.
import { hostname } from 'node:os';
import postgres from 'postgres';
import { processStartTime } from '../../lib/coordination/leases.js';
import { SchemaPool } from '../../lib/isolation/schema-pool.js';
import { sweepSchemas } from '../../lib/isolation/sweep.js';

interface Start {
  url: string;
  run: string;
  key: string;
  size: number;
}

type Request = { id: number; type: 'claim'; names: { source: string; destination: string } } | { id: number; type: 'release'; names: { source: string; destination: string }; keepForMs?: number };

const start = JSON.parse(process.argv[2]!) as Start;
const claimSql = postgres(start.url, { max: 1, onnotice: () => {} });
const workSql = postgres(start.url, { max: 2, onnotice: () => {} });
const owner = { pid: process.pid, pidStart: processStartTime(process.pid), host: hostname(), run: start.run };
const pool = new SchemaPool(claimSql, workSql, { sourceFiles: [], destinationFiles: [], key: start.key }, owner, start.size);

await sweepSchemas(workSql);
void pool.fill().catch(() => {});

process.on('message', async (request: Request) => {
  try {
    if (request.type === 'claim') await pool.claim(request.names);
    else await pool.release(request.names, request.keepForMs ? { forMs: request.keepForMs } : undefined);
    process.send!({ id: request.id, ok: true });
  } catch (err) {
    process.send!({ id: request.id, ok: false, error: (err as Error).message });
  }
});
process.send!({ id: 0, ok: true });
