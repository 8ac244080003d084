// SQL for users (global: one person, many tenants).
import type { Queryable } from '../../db/index.ts'

export interface UserRow {
  id: string
  email: string
  name: string | null
  password_hash: string | null
  status: 'active' | 'disabled'
  is_platform_admin: boolean
  default_tenant_id: string | null
  created_at: Date
  updated_at: Date
  last_login_at: Date | null
}

const COLUMNS = 'id, email, name, password_hash, status, is_platform_admin, default_tenant_id, created_at, updated_at, last_login_at'

export const normaliseEmail = (email: string): string => email.trim().toLowerCase()

export async function findUserByEmail(tx: Queryable, email: string): Promise<UserRow | undefined> {
  const { rows } = await tx.query<UserRow>(`select ${COLUMNS} from users where email = $1`, [normaliseEmail(email)])
  return rows[0]
}

export async function findUserById(tx: Queryable, id: string): Promise<UserRow | undefined> {
  const { rows } = await tx.query<UserRow>(`select ${COLUMNS} from users where id = $1`, [id])
  return rows[0]
}

export async function insertUser(
  tx: Queryable,
  user: { email: string; name?: string | null; passwordHash?: string | null; isPlatformAdmin?: boolean; defaultTenantId?: string | null },
): Promise<UserRow> {
  const { rows } = await tx.query<UserRow>(
    `insert into users (email, name, password_hash, is_platform_admin, default_tenant_id) values ($1, $2, $3, $4, $5) returning ${COLUMNS}`,
    [normaliseEmail(user.email), user.name ?? null, user.passwordHash ?? null, user.isPlatformAdmin ?? false, user.defaultTenantId ?? null],
  )
  return rows[0]!
}

export async function setPasswordHash(tx: Queryable, id: string, passwordHash: string): Promise<void> {
  await tx.query('update users set password_hash = $2, updated_at = now() where id = $1', [id, passwordHash])
}

export async function setPlatformAdmin(tx: Queryable, id: string, isPlatformAdmin: boolean): Promise<void> {
  await tx.query('update users set is_platform_admin = $2, updated_at = now() where id = $1', [id, isPlatformAdmin])
}

export async function recordLogin(tx: Queryable, id: string): Promise<void> {
  await tx.query('update users set last_login_at = now() where id = $1', [id])
}

/** The tenant login picks when none is named: the first one a user joins, until they leave it. */
export async function setDefaultTenantIfUnset(tx: Queryable, id: string, tenantId: string): Promise<void> {
  await tx.query('update users set default_tenant_id = $2 where id = $1 and default_tenant_id is null', [id, tenantId])
}

export async function clearDefaultTenant(tx: Queryable, id: string, tenantId: string): Promise<void> {
  await tx.query('update users set default_tenant_id = null where id = $1 and default_tenant_id = $2', [id, tenantId])
}

/** The user's active memberships in active tenants, across tenants (SECURITY DEFINER, migration 0003). */
export async function activeTenantIds(tx: Queryable, userId: string): Promise<string[]> {
  const { rows } = await tx.query<{ tenant_id: string }>("select tenant_id from tenantry_user_tenants($1) where status = 'active'", [userId])
  return rows.map((row) => row.tenant_id)
}
