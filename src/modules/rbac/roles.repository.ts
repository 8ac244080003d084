// SQL for roles: the global system roles (roles, role_permissions) and the tenant's custom roles
// (tenant_roles, tenant_role_permissions). Statements on tenant tables filter on tx.tenantId.
import type { Queryable, TenantTx } from '../../db/index.ts'

export interface RoleRow {
  id: string
  name: string
  permissions: string[]
}

/** A role as the API shows it: system (global, read-only) or custom (this tenant's). */
export interface RoleRecord extends RoleRow {
  description: string
  is_system: boolean
  /** Members of this tenant holding the role. */
  member_count: number
  created_at: Date
  updated_at: Date
}

/** A system role by id or by name (case-insensitive). */
export async function findRole(tx: Queryable, ref: { id?: string; name?: string }): Promise<RoleRow | undefined> {
  const { rows } = await tx.query<RoleRow>(
    `select r.id, r.name, coalesce(array(select rp.permission from role_permissions rp where rp.role_id = r.id order by 1), '{}') as permissions
       from roles r where ($1::uuid is not null and r.id = $1::uuid) or ($2::text is not null and lower(r.name) = lower($2))`,
    [ref.id ?? null, ref.name ?? null],
  )
  return rows[0]
}

// System roles and the tenant's custom roles as one relation ($1 = the tenant). The system
// roles were seeded before any tenant existed, so ordering by created_at lists them first.
const ALL_ROLES = `with all_roles as (
  select r.id, r.name, r.description, true as is_system, r.created_at, r.created_at as updated_at,
         array(select rp.permission from role_permissions rp where rp.role_id = r.id order by 1) as permissions,
         (select count(*)::int from tenant_users tu where tu.tenant_id = $1 and tu.role_id = r.id) as member_count
    from roles r
  union all
  select cr.id, cr.name, cr.description, false, cr.created_at, cr.updated_at,
         array(select trp.permission from tenant_role_permissions trp where trp.tenant_id = cr.tenant_id and trp.role_id = cr.id order by 1),
         (select count(*)::int from tenant_users tu where tu.tenant_id = cr.tenant_id and tu.custom_role_id = cr.id)
    from tenant_roles cr where cr.tenant_id = $1
)`

export async function listRoles(tx: TenantTx, limit: number, after: { at: string; id: string } | undefined): Promise<(RoleRecord & { position: string })[]> {
  const { rows } = await tx.query<RoleRecord & { position: string }>(
    `${ALL_ROLES} select *, created_at::text as position from all_roles
      where $2::timestamptz is null or (created_at, id) > ($2::timestamptz, $3::uuid)
      order by created_at, id limit $4`,
    [tx.tenantId, after?.at ?? null, after?.id ?? null, limit + 1],
  )
  return rows
}

/**
 * A role a member or key of this tenant may hold: a system role or one of the tenant's custom
 * roles, by id or by name (case-insensitive; a system role wins a name clash).
 */
export async function findAssignableRole(tx: TenantTx, ref: { id?: string; name?: string }): Promise<RoleRecord | undefined> {
  const { rows } = await tx.query<RoleRecord>(
    `${ALL_ROLES} select * from all_roles
      where ($2::uuid is not null and id = $2::uuid) or ($3::text is not null and lower(name) = lower($3))
      order by is_system desc limit 1`,
    [tx.tenantId, ref.id ?? null, ref.name ?? null],
  )
  return rows[0]
}

/** The tenant's custom role, locked against concurrent changes and assignments; undefined when absent. */
export async function lockCustomRole(tx: TenantTx, id: string): Promise<{ id: string; name: string } | undefined> {
  const { rows } = await tx.query<{ id: string; name: string }>('select id, name from tenant_roles where tenant_id = $1 and id = $2 for update', [tx.tenantId, id])
  return rows[0]
}

/**
 * The name of the tenant's custom role (other than `exceptId`) whose name reads as `skeleton`
 * (role-name.ts), if any. System roles are role-name.ts's own check.
 */
export async function customRoleNamedLike(tx: TenantTx, skeleton: string, exceptId?: string): Promise<string | undefined> {
  const { rows } = await tx.query<{ name: string }>(
    'select name from tenant_roles where tenant_id = $1 and name_skeleton = $2 and ($3::uuid is null or id <> $3::uuid)',
    [tx.tenantId, skeleton, exceptId ?? null],
  )
  return rows[0]?.name
}

export async function insertCustomRole(tx: TenantTx, role: { name: string; skeleton: string; description: string }): Promise<string> {
  const { rows } = await tx.query<{ id: string }>(
    'insert into tenant_roles (tenant_id, name, name_skeleton, description) values ($1, $2, $3, $4) returning id',
    [tx.tenantId, role.name, role.skeleton, role.description],
  )
  return rows[0]!.id
}

export async function updateCustomRole(tx: TenantTx, id: string, changes: { name?: { name: string; skeleton: string }; description?: string }): Promise<void> {
  await tx.query(
    `update tenant_roles set name = coalesce($3, name), name_skeleton = coalesce($4, name_skeleton), description = coalesce($5, description), updated_at = now()
      where tenant_id = $1 and id = $2`,
    [tx.tenantId, id, changes.name?.name ?? null, changes.name?.skeleton ?? null, changes.description ?? null],
  )
}

/** Makes the custom role hold exactly `permissions`. */
export async function setCustomRolePermissions(tx: TenantTx, id: string, permissions: readonly string[]): Promise<void> {
  await tx.query('delete from tenant_role_permissions where tenant_id = $1 and role_id = $2 and permission <> all($3::text[])', [tx.tenantId, id, permissions])
  await tx.query(
    `insert into tenant_role_permissions (tenant_id, role_id, permission) select $1, $2, unnest($3::text[]) on conflict do nothing`,
    [tx.tenantId, id, permissions],
  )
}

/** What still refers to a custom role: memberships and API keys (revoked keys too: their rows keep the reference). */
export async function customRoleUsage(tx: TenantTx, id: string): Promise<{ members: number; api_keys: number }> {
  const { rows } = await tx.query<{ members: number; api_keys: number }>(
    `select (select count(*)::int from tenant_users where tenant_id = $1 and custom_role_id = $2) as members,
            (select count(*)::int from api_keys where tenant_id = $1 and custom_role_id = $2) as api_keys`,
    [tx.tenantId, id],
  )
  return rows[0]!
}

export async function deleteCustomRole(tx: TenantTx, id: string): Promise<boolean> {
  const { rowCount } = await tx.query('delete from tenant_roles where tenant_id = $1 and id = $2', [tx.tenantId, id])
  return rowCount > 0
}
