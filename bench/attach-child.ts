// One fresh process: load pgdock, acquire the server, run a first query, report timings as JSON.
const scriptStart = performance.now();
const { acquireServer, connectionUrl } = await import('../lib/index.js');
const { default: postgres } = await import('postgres');
if (process.env.BENCH_PRELOAD === '1') await import('dockerode'); // to separate module load from the protocol
const acquireStart = performance.now();
const server = await acquireServer();
const sql = postgres(connectionUrl({ ...server, password: server.password }), { max: 1, onnotice: () => {} });
await sql`select 1`;
const done = performance.now();
// Report first: the parent stops its clock on this line, before the clean-up below.
process.stdout.write(`${JSON.stringify({ sinceProcessStartMs: done, sinceScriptStartMs: done - scriptStart, sinceAcquireCallMs: done - acquireStart, containerId: server.containerId })}\n`);
await sql.end();
if (process.env.BENCH_RELEASE === '1') await server.release();
