import type { Database } from './database.ts'

interface RoleRow {
  rolsuper: boolean
  rolbypassrls: boolean
  owned_tables: string[]
  platform_privileges: string[]
}

// Privileges that would let request traffic act as the platform (docs/decisions.md D73): grant
// an operator, read every password hash, change a tenant's status or plan, remove audit history.
const PLATFORM_PRIVILEGES_SQL = `array_remove(array[
  case when has_column_privilege(r.oid, 'public.users'::regclass, 'is_platform_admin', 'UPDATE') then 'UPDATE on users.is_platform_admin' end,
  case when has_column_privilege(r.oid, 'public.users'::regclass, 'password_hash', 'SELECT') then 'SELECT on users.password_hash' end,
  case when has_column_privilege(r.oid, 'public.tenants'::regclass, 'status', 'UPDATE') then 'UPDATE on tenants.status' end,
  case when has_table_privilege(r.oid, 'public.tenants'::regclass, 'DELETE') then 'DELETE on tenants' end,
  case when has_function_privilege(r.oid, 'public.tenantry_erase_tenant_logs(uuid)'::regprocedure, 'EXECUTE') then 'EXECUTE on tenantry_erase_tenant_logs' end,
  case when has_function_privilege(r.oid, 'public.tenantry_purge_audit_log(uuid, timestamptz)'::regprocedure, 'EXECUTE') then 'EXECUTE on tenantry_purge_audit_log' end
], null) as platform_privileges`

/**
 * Checks the role request traffic really runs as (DESIGN §5.2): it must be DATABASE_APP_ROLE,
 * no superuser, without BYPASSRLS, owning no table (any of those would switch RLS off), and
 * holding none of the platform's privileges (PLATFORM_PRIVILEGES_SQL).
 * Returns one line per problem; production refuses to start on any.
 */
export async function checkAppRole(db: Database): Promise<string[]> {
  const role = db.appRole
  const effective = await db.systemTransaction((tx) => tx.query<{ current_user: string }>('select current_user'))
  const problems: string[] = []
  const current = effective.rows[0]?.current_user
  if (current !== role) {
    problems.push(`DATABASE_APP_URL: request traffic runs as ${current}, not DATABASE_APP_ROLE=${role}; log in as ${role} or unset DATABASE_APP_URL`)
  }
  const { rows } = await db.withOwnerSession((session) =>
    session.query<RoleRow>(
      `select r.rolsuper, r.rolbypassrls,
              coalesce(array(select c.relname::text from pg_class c
                              where c.relowner = r.oid and c.relkind in ('r', 'p', 'v', 'm')
                                and c.relnamespace = 'public'::regnamespace order by 1), '{}') as owned_tables,
              ${PLATFORM_PRIVILEGES_SQL}
         from pg_roles r where r.rolname = $1`,
      [role],
    ),
  )
  const row = rows[0]
  if (!row) return [...problems, `DATABASE_APP_ROLE: role ${role} does not exist; run npm run migrate`]
  if (row.rolsuper) problems.push(`DATABASE_APP_ROLE: role ${role} is a superuser, so row-level security does not apply; ALTER ROLE ${role} NOSUPERUSER`)
  if (row.rolbypassrls) problems.push(`DATABASE_APP_ROLE: role ${role} has BYPASSRLS; ALTER ROLE ${role} NOBYPASSRLS`)
  if (row.owned_tables.length > 0) {
    problems.push(`DATABASE_APP_ROLE: role ${role} owns ${row.owned_tables.join(', ')}; owners escape forced RLS in ways that matter (ALTER, DISABLE); make the migration role own them`)
  }
  // A superuser holds them all; its own line says so.
  if (!row.rolsuper && row.platform_privileges.length > 0) {
    problems.push(`DATABASE_APP_ROLE: role ${role} holds ${row.platform_privileges.join(', ')}, which lets request traffic act as the platform; run npm run migrate, or REVOKE them`)
  }
  return problems
}
