// The one workload every peer runs (`npm run bench:peers`): the same SQL, statement for statement.
// Only the client and the table's name differ: pgdock's test gets `this.pg.sql` and a table in its
// own schema; a peer's test gets one client from DATABASE_URL and a table name of its own.
import type { Sql } from 'postgres';

export const FILES = 12;
export const TESTS_PER_FILE = 5;
export const ROWS = 200;

/** One test: create a table, insert 200 rows, count, update, aggregate, drop. Throws when an answer is wrong. */
export async function workload(sql: Sql, table: string): Promise<void> {
  await sql.unsafe(`create table ${table} (id int primary key, label text not null, amount int not null)`);
  await sql.unsafe(`insert into ${table} (id, label, amount) select g, 'row ' || g, g % 17 from generate_series(1, ${ROWS}) g`);
  const [counted] = await sql.unsafe(`select count(*)::int as n from ${table}`);
  if (counted?.n !== ROWS) throw new Error(`counted ${counted?.n} rows, inserted ${ROWS}`);
  const updated = await sql.unsafe(`update ${table} set amount = amount + 1 where id % 2 = 0`);
  if (updated.count !== ROWS / 2) throw new Error(`updated ${updated.count} rows, expected ${ROWS / 2}`);
  const groups = await sql.unsafe(`select amount % 5 as bucket, count(*)::int as n, sum(amount)::int as total from ${table} group by 1 order by 1`);
  if (groups.reduce((n, g) => n + Number(g.n), 0) !== ROWS) throw new Error('the groups do not add up to every row');
  await sql.unsafe(`drop table ${table}`);
}

/** A spec file's source for one peer: FILES of these, each with TESTS_PER_FILE tests. */
export function specSource(peer: 'pgdock' | 'env', file: number, modules: { workload: string; peerDb: string }): string {
  const name = `f${String(file).padStart(2, '0')}`;
  const lines = [`import { workload } from ${JSON.stringify(modules.workload)};`];
  if (peer === 'env') lines.push(`import { db } from ${JSON.stringify(modules.peerDb)};`);
  lines.push('', `describe('file ${name}', function () {`, `  for (let t = 1; t <= ${TESTS_PER_FILE}; t++) {`);
  lines.push(peer === 'pgdock'
    ? `    it(\`test \${t}\`, async function () { await workload(this.pg.sql, this.pg.table('items')); });`
    : `    it(\`test \${t}\`, async function () { await workload(db(), \`"items_${name}_t\${t}"\`); });`);
  lines.push('  }', '});', '');
  return lines.join('\n');
}
