// The floor of a warm attach: a fresh process that loads postgres.js, connects to BENCH_URL and runs `select 1`.
const scriptStart = performance.now();
const { default: postgres } = await import('postgres');
const sql = postgres(process.env.BENCH_URL ?? '', { max: 1, onnotice: () => {} });
await sql`select 1`;
const done = performance.now();
process.stdout.write(`${JSON.stringify({ sinceProcessStartMs: done, sinceScriptStartMs: done - scriptStart })}\n`);
await sql.end();
