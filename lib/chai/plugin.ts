// Covered by spec/integration/chai/sql-assertions.spec.ts.
/// <reference types="chai" />
import { describeValue } from '../errors.js';
import { sameType } from './column-types.js';
import { deferAssertion } from './deferred.js';
import { countRows, readColumns, targetExists } from './read-target.js';
import { rowsAssertion } from './rows-assertion.js';
import { snapshotAssertion, type SnapshotOptions } from './snapshot-assertion.js';
import { missingTableError } from './sql-errors.js';
import { resolveChaiTarget, resolveTarget } from './targets.js';

/**
 * `chai.use(pgdockChai)`: assertions that run SQL. Every one is async: `await` it.
 * Targets: a table name (`this.pg.table('users')`, or `schema.table`) or a postgres.js query.
 */
export default function pgdockChai(chai: Chai.ChaiStatic, utils: Chai.ChaiUtils): void {
  const { Assertion } = chai;
  const negated = (a: Chai.AssertionStatic): boolean => Boolean(utils.flag(a, 'negate'));

  Assertion.addMethod('rowCount', function (this: Chai.AssertionStatic, expected: unknown) {
    if (typeof expected !== 'number' || !Number.isInteger(expected) || expected < 0) {
      throw new TypeError(`pgdock: .rowCount() needs a whole number of rows, got ${describeValue(expected)}.`);
    }
    const target = resolveTarget(utils.flag(this, 'object'), 'rowCount');
    return deferAssertion(this, `rowCount(${expected})`, async () => {
      const count = await countRows(target);
      this.assert(count === expected, `expected ${target.label} to have ${expected} row(s) but it has ${count}`, `expected ${target.label} not to have ${expected} row(s)`, expected, count);
    });
  });

  Assertion.addMethod('rows', rowsAssertion(chai, utils));
  Assertion.addMethod('matchSnapshot', snapshotAssertion(chai, utils));

  Assertion.addMethod('columns', function (this: Chai.AssertionStatic, expected: unknown) {
    if (!expected || typeof expected !== 'object' || Array.isArray(expected) || !Object.values(expected).every((t) => typeof t === 'string')) {
      throw new TypeError(`pgdock: .columns() needs an object of column names to type names, e.g. { id: 'integer' }, got ${describeValue(expected)}.`);
    }
    const target = resolveTarget(utils.flag(this, 'object'), 'columns');
    const subset = Boolean(utils.flag(this, 'contains'));
    return deferAssertion(this, 'columns()', async () => {
      const columns = await readColumns(target);
      const wanted = expected as Record<string, string>;
      const actual = Object.fromEntries(columns.map((c) => [c.name, c.type]));
      const problems: string[] = [];
      for (const [name, type] of Object.entries(wanted)) {
        const column = columns.find((c) => c.name === name);
        if (!column) problems.push(`missing column ${name} (${type})`);
        else if (!sameType(type, column)) problems.push(`column ${name} is ${column.type}, not ${type}`);
      }
      if (!subset) for (const c of columns) if (!(c.name in wanted)) problems.push(`unexpected column ${c.name} (${c.type})`);
      this.assert(problems.length === 0, `expected ${target.label} to have ${subset ? 'at least ' : ''}these columns:\n${problems.join('\n')}`,
        `expected ${target.label} not to have these columns, but it does`, wanted, actual, !negated(this));
    });
  });

  Assertion.overwriteProperty('exist', (_super: (this: Chai.AssertionStatic) => unknown) =>
    function (this: Chai.AssertionStatic) {
      const target = resolveChaiTarget(utils.flag(this, 'object'), 'exist');
      if (!target) return _super.call(this);
      return deferAssertion(this, 'exist', async () => {
        if (target.kind === 'query') {
          const n = await countRows(target);
          this.assert(n > 0, `expected ${target.label} to return rows (exist) but it returned none`, `expected ${target.label} to return no rows but it returned ${n}`, !negated(this), n > 0);
          return;
        }
        const found = await targetExists(target);
        // Where the table might be instead (a name's case, the schema's tables), when that helps.
        const where = !found && !negated(this) && target.kind === 'table' ? `\n${(await missingTableError(target.sql, target.text, target.parts)).hint}` : '';
        this.assert(found, `expected ${target.label} to exist${where}`, `expected ${target.label} not to exist`, !negated(this), found);
      });
    },
  );

  Assertion.overwriteProperty('empty', (_super: (this: Chai.AssertionStatic) => unknown) =>
    function (this: Chai.AssertionStatic) {
      const target = resolveChaiTarget(utils.flag(this, 'object'), 'empty');
      if (!target) return _super.call(this);
      return deferAssertion(this, 'empty', async () => {
        const n = await countRows(target);
        const unit = target.kind === 'schema' ? 'table(s)' : 'row(s)';
        this.assert(n === 0, `expected ${target.label} to be empty but it has ${n} ${unit}`, `expected ${target.label} not to be empty`, 0, n);
      });
    },
  );
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Chai {
    /** A pgdock assertion: it runs SQL, so it must be awaited. */
    type PgdockAssertion = Assertion & PromiseLike<void>;

    interface Assertion {
      /** The table or query has exactly `n` rows. Await it. */
      rowCount(n: number): PgdockAssertion;
      /** Exactly these rows, in any order (`.ordered` for order, `.include.rows` for a subset). Await it. */
      rows(rows: Array<Record<string, unknown>>): PgdockAssertion;
      /** These columns with these types (`.include.columns` allows others). Await it. */
      columns(columns: Record<string, string>): PgdockAssertion;
      /**
       * The rows equal the test's stored snapshot (`__snapshots__/<spec>.snap.yaml`), written on the
       * first run (not in CI), rewritten with PGDOCK_UPDATE_SNAPSHOTS=1. Await it.
       */
      matchSnapshot(options?: SnapshotOptions): PgdockAssertion;
    }

    interface Ordered {
      /** Exactly these rows in this order (a table: in primary-key order). Await it. */
      rows(rows: Array<Record<string, unknown>>): PgdockAssertion;
      /** The query's rows in its own order equal the stored snapshot. Await it. */
      matchSnapshot(options?: SnapshotOptions): PgdockAssertion;
    }

    interface Include {
      /** At least these rows. Await it. */
      rows(rows: Array<Record<string, unknown>>): PgdockAssertion;
      /** At least these columns with these types. Await it. */
      columns(columns: Record<string, string>): PgdockAssertion;
    }
  }
}
