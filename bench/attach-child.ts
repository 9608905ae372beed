// One fresh process: load pgdock, acquire the server, run a first query, report timings as JSON.
const scriptStart = performance.now();
const { acquireServer, connectionUrl } = await import('../lib/index.js');
const { default: postgres } = await import('postgres');
const server = await acquireServer();
const sql = postgres(connectionUrl({ ...server, password: server.password }), { max: 1, onnotice: () => {} });
await sql`select 1`;
const done = performance.now();
await sql.end();
if (process.env.BENCH_RELEASE === '1') await server.release();
process.stdout.write(`${JSON.stringify({ sinceProcessStartMs: done, sinceScriptStartMs: done - scriptStart, containerId: server.containerId })}\n`);
