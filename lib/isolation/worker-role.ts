// The suite's login role (`workerUser`) and the rights it holds (`workerRoleAttributes`). Covered end to
// end by spec/e2e/worker-role-attributes.spec.ts and spec/e2e/worker-database.spec.ts.
import { createHash } from 'node:crypto';
import type { Sql, TransactionSql } from 'postgres';
import { createDebug } from '../debug.js';
import { ErrorCodes, PgdockError, redactSecrets } from '../errors.js';
import { attributeChangesSql, attributesSql, heldAttributes, type RoleRights, type WorkerRoleAttribute } from '../config/role-attributes.js';
import { literal } from './sql.js';
import type { ServerInfo } from '../server/server-info.js';
import { quoteIdentifier } from './names.js';

const log = createDebug('worker-db');

/**
 * The COMMENT pgdock puts on a role it created. On an external server only such a role is pgdock's
 * to change, and only the databases it owns are swept as the suite's.
 */
const ROLE_MARK = '{"pgdock":1,"role":"worker"}';

/** The role the suite logs in as, and what it may do. */
export interface WorkerRole {
  name: string;
  /** Holds a secret: never print it. */
  password: string;
  attributes: readonly WorkerRoleAttribute[];
}

/** A role password that is stable for one server and secret: derived from the server's own. */
export function derivedPassword(server: ServerInfo, role: string): string {
  return createHash('sha256').update(`pgdock-worker-role\0${server.password}\0${role}`).digest('base64url').slice(0, 24);
}

/** Whether `mark` (a role's COMMENT) says pgdock created the role. */
export function isPgdockRole(mark: string | null | undefined): boolean {
  return mark === ROLE_MARK;
}

type RoleRow = RoleRights & { mark: string | null };

/**
 * On an external server pgdock gives the worker role no right that the `url`'s own role lacks (a
 * superuser holds them all): a suite's role never gets more than the user who configured it has.
 */
async function checkAdminHolds(tx: TransactionSql, role: WorkerRole, granting: readonly WorkerRoleAttribute[]): Promise<void> {
  if (granting.length === 0) return;
  const [admin] = await tx<Array<RoleRights & { name: string }>>`
    select current_user as name, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls from pg_roles where rolname = current_user`;
  if (!admin || admin.rolsuper) return;
  const held = heldAttributes(admin);
  const lacking = granting.filter((a) => !held.includes(a));
  if (lacking.length === 0) return;
  throw new PgdockError(
    ErrorCodes.ROLE_RIGHTS,
    `workerRoleAttributes asks for ${lacking.join(', ')} for the role ${role.name}, and the external server's role ${admin.name} (from PGDOCK_URL) does not hold ${lacking.length > 1 ? 'them' : 'it'}: pgdock gives the suite's role no right the URL's role lacks.`,
    `Remove ${lacking.join(', ')} from workerRoleAttributes, connect PGDOCK_URL as a role that holds ${lacking.length > 1 ? 'them' : 'it'} (a superuser holds all), or run on a server pgdock starts (PGDOCK_PROVIDER=docker or embedded).`,
    { role: role.name, admin: admin.name, lacking: lacking.join(','), provider: 'external' },
  );
}

/** Postgres refused (SQLSTATE 42501): said in the words of the options. */
function refused(err: unknown, role: WorkerRole, provider: ServerInfo['provider']): unknown {
  if ((err as { code?: string }).code !== '42501') return err;
  const asked = role.attributes.length ? ` with ${role.attributes.join(', ')}` : '';
  return new PgdockError(
    ErrorCodes.ROLE_RIGHTS,
    `The suite's role ${role.name} could not be made${asked} on the ${provider} server: ${redactSecrets((err as Error).message)}.`,
    provider === 'external'
      ? 'The role in PGDOCK_URL needs CREATEROLE and each attribute it gives (a superuser has all), or name a workerUser that already exists there with those rights.'
      : 'Run again with DEBUG=pgdock:* for details.',
    { role: role.name, provider },
  );
}

/**
 * Creates the suite's role if missing: a login with exactly the attributes asked for, marked as
 * pgdock's. A role pgdock marked (on an external server) or any role on a server pgdock manages is
 * brought to exactly those attributes; pgdock's own servers also set its password. A role pgdock
 * found on an external server is left as it is and must already hold what is asked for.
 */
export async function ensureWorkerRole(sql: Sql, role: WorkerRole, provider: ServerInfo['provider']): Promise<void> {
  const external = provider === 'external';
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('pgdock_worker_role'))`;
    const [existing] = await tx<RoleRow[]>`
      select rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, shobj_description(oid, 'pg_authid') as mark
      from pg_roles where rolname = ${role.name}`;
    const name = quoteIdentifier(role.name);
    if (external && existing && !isPgdockRole(existing.mark)) {
      const lacking = role.attributes.filter((a) => !heldAttributes(existing).includes(a));
      if (lacking.length === 0) return;
      throw new PgdockError(
        ErrorCodes.ROLE_RIGHTS,
        `The role ${role.name} was on the external server before pgdock, which leaves it as it is, and it lacks ${lacking.join(', ')} (asked for by workerRoleAttributes).`,
        `Grant ${lacking.length > 1 ? 'them' : 'it'} yourself (ALTER ROLE ${role.name} ${lacking.join(' ')}), or name a workerUser that does not exist there yet: pgdock creates it with these rights.`,
        { role: role.name, lacking: lacking.join(','), provider },
      );
    }
    const granting = existing ? role.attributes.filter((a) => !heldAttributes(existing).includes(a)) : [...role.attributes];
    if (external) await checkAdminHolds(tx, role, granting);
    try {
      if (!existing) {
        await tx.unsafe(`create role ${name} login ${attributesSql(role.attributes)} password ${literal(role.password)}`);
        await tx.unsafe(`comment on role ${name} is ${literal(ROLE_MARK)}`);
        log('created role %s (%s)', role.name, role.attributes.join(', ') || 'no attributes');
        return;
      }
      const changes = attributeChangesSql(existing, role.attributes);
      // An external server's role keeps its password (the suite is told if it cannot log in).
      if (!external) await tx.unsafe(`alter role ${name} login ${changes} password ${literal(role.password)}`);
      else if (changes) await tx.unsafe(`alter role ${name} ${changes}`);
      if (changes) log('role %s now has %s', role.name, role.attributes.join(', ') || 'no attributes');
    } catch (err) {
      throw refused(err, role, provider);
    }
  });
}
