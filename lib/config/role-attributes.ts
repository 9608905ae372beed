// The rights a worker role may get besides owning its databases (the `workerRoleAttributes` option).
import { closestName } from './did-you-mean.js';
import { ErrorCodes, PgdockError, describeValue } from '../errors.js';

/** Every attribute `workerRoleAttributes` may name, in the order pgdock writes them. */
export const ROLE_ATTRIBUTES = ['CREATEDB', 'CREATEROLE', 'REPLICATION', 'BYPASSRLS', 'SUPERUSER'] as const;

/** A Postgres role attribute the worker role may be given (it always has `LOGIN`). */
export type WorkerRoleAttribute = (typeof ROLE_ATTRIBUTES)[number];

/** Accepted in any case; `SUPERUSER` only as written here, never by a near miss or in other letters. */
const ANY_CASE: readonly WorkerRoleAttribute[] = ['CREATEDB', 'CREATEROLE', 'REPLICATION', 'BYPASSRLS'];

/** The `pg_roles` column that says whether a role holds the attribute. */
export const ROLE_COLUMNS: Record<WorkerRoleAttribute, 'rolcreatedb' | 'rolcreaterole' | 'rolreplication' | 'rolbypassrls' | 'rolsuper'> = {
  CREATEDB: 'rolcreatedb',
  CREATEROLE: 'rolcreaterole',
  REPLICATION: 'rolreplication',
  BYPASSRLS: 'rolbypassrls',
  SUPERUSER: 'rolsuper',
};

function whyNot(item: string): string {
  const upper = item.toUpperCase();
  if (upper === 'LOGIN') return `\`${item}\` (the role always has LOGIN)`;
  if (upper.startsWith('NO') && (ROLE_ATTRIBUTES as readonly string[]).includes(upper.slice(2))) {
    return `\`${item}\` (the role has none of them unless listed: leave it out)`;
  }
  const near = closestName(item, ROLE_ATTRIBUTES);
  if (near === 'SUPERUSER') return `\`${item}\` (did you mean \`SUPERUSER\`? superuser rights are given only when asked for by that exact name)`;
  return near ? `\`${item}\` (did you mean \`${near}\`?)` : `\`${item}\``;
}

/**
 * `CREATEDB,CREATEROLE` (comma- or space-separated) or an array of names: the attributes, each once,
 * in {@link ROLE_ATTRIBUTES} order. One error names every item that is none of them.
 */
export function parseRoleAttributes(raw: unknown, source: string): WorkerRoleAttribute[] {
  const items = typeof raw === 'string' ? raw.split(/[\s,]+/).filter(Boolean) : raw;
  if (!Array.isArray(items) || !items.every((item) => typeof item === 'string')) {
    throw new PgdockError(
      ErrorCodes.INVALID_OPTION,
      `Expected the \`workerRoleAttributes\` option to be a list of role attributes (e.g. CREATEDB,CREATEROLE), got ${describeValue(raw)} (from ${source}).`,
      attributesHint(source),
      { option: 'workerRoleAttributes', source },
    );
  }
  const wanted = new Set<WorkerRoleAttribute>();
  const bad: string[] = [];
  for (const item of items.map((i) => i.trim()).filter(Boolean)) {
    const upper = item.toUpperCase() as WorkerRoleAttribute;
    if (ANY_CASE.includes(upper)) wanted.add(upper);
    else if (item === 'SUPERUSER') wanted.add('SUPERUSER');
    else bad.push(whyNot(item));
  }
  if (bad.length > 0) {
    throw new PgdockError(
      ErrorCodes.INVALID_OPTION,
      `Expected the \`workerRoleAttributes\` option to list only ${ROLE_ATTRIBUTES.join(', ')}; got ${bad.join(', ')} (from ${source}).`,
      attributesHint(source),
      { option: 'workerRoleAttributes', source },
    );
  }
  return ROLE_ATTRIBUTES.filter((a) => wanted.has(a));
}

function attributesHint(source: string): string {
  return `Fix ${source}: any of CREATEDB, CREATEROLE, REPLICATION, BYPASSRLS (in any case), and SUPERUSER written exactly so; see the options table in pgdock's README.`;
}

/** `SUPERUSER NOCREATEDB …`: every attribute, given or taken away, for `CREATE ROLE`. */
export function attributesSql(attributes: readonly WorkerRoleAttribute[]): string {
  return ROLE_ATTRIBUTES.map((a) => (attributes.includes(a) ? a : `NO${a}`)).join(' ');
}

/** What a role holds, as `pg_roles` says. */
export type RoleRights = Record<(typeof ROLE_COLUMNS)[WorkerRoleAttribute], boolean>;

/** The attributes `have` holds, in {@link ROLE_ATTRIBUTES} order. */
export function heldAttributes(have: RoleRights): WorkerRoleAttribute[] {
  return ROLE_ATTRIBUTES.filter((a) => have[ROLE_COLUMNS[a]]);
}

/**
 * Only the attributes that change, for `ALTER ROLE`: Postgres refuses even `NOSUPERUSER` or
 * `NOREPLICATION` from a role that may not change them, whatever the role holds already.
 */
export function attributeChangesSql(have: RoleRights, wanted: readonly WorkerRoleAttribute[]): string {
  return ROLE_ATTRIBUTES.filter((a) => have[ROLE_COLUMNS[a]] !== wanted.includes(a))
    .map((a) => (wanted.includes(a) ? a : `NO${a}`))
    .join(' ');
}
