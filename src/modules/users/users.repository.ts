// SQL for users (global: one person, many tenants).
import type { Queryable } from '../../db/index.ts'

export interface UserRow {
  id: string
  email: string
  name: string | null
  /** Whether the account has a password; the hash itself only through findLoginByEmail. */
  has_password: boolean
  status: 'active' | 'disabled' | 'erased'
  is_platform_admin: boolean
  default_tenant_id: string | null
  created_at: Date
  updated_at: Date
  last_login_at: Date | null
  /** Set when the user was erased (D56); the row then identifies no one. */
  erased_at: Date | null
}

// Never password_hash: the app role may not read it (docs/decisions.md D73).
const COLUMNS = 'id, email, name, has_password, status, is_platform_admin, default_tenant_id, created_at, updated_at, last_login_at, erased_at'

const QUALIFIED_COLUMNS = COLUMNS.split(', ').map((column) => `u.${column}`).join(', ')

export const normaliseEmail = (email: string): string => email.trim().toLowerCase()

export async function findUserByEmail(tx: Queryable, email: string): Promise<UserRow | undefined> {
  const { rows } = await tx.query<UserRow>(`select ${COLUMNS} from users where email = $1`, [normaliseEmail(email)])
  return rows[0]
}

/** The account of one email with its password hash, through the login lookup (migration 0011). */
export async function findLoginByEmail(tx: Queryable, email: string): Promise<(UserRow & { password_hash: string | null }) | undefined> {
  const { rows } = await tx.query<UserRow & { password_hash: string | null }>(
    `select ${QUALIFIED_COLUMNS}, l.password_hash from tenantry_login_lookup($1) l join users u on u.id = l.id`,
    [normaliseEmail(email)],
  )
  return rows[0]
}

export async function findUserById(tx: Queryable, id: string): Promise<UserRow | undefined> {
  const { rows } = await tx.query<UserRow>(`select ${COLUMNS} from users where id = $1`, [id])
  return rows[0]
}

export async function insertUser(
  tx: Queryable,
  user: { email: string; name?: string | null; passwordHash?: string | null; defaultTenantId?: string | null },
): Promise<UserRow> {
  // Never a platform admin: that is setPlatformAdmin's, as the owner.
  const { rows } = await tx.query<UserRow>(
    `insert into users (email, name, password_hash, default_tenant_id) values ($1, $2, $3, $4) returning ${COLUMNS}`,
    [normaliseEmail(user.email), user.name ?? null, user.passwordHash ?? null, user.defaultTenantId ?? null],
  )
  return rows[0]!
}

export async function setPasswordHash(tx: Queryable, id: string, passwordHash: string): Promise<void> {
  await tx.query('update users set password_hash = $2, updated_at = now() where id = $1', [id, passwordHash])
}

/** Platform rights: only as the owner (withPlatform); the app role holds no UPDATE on them. */
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

/** Every tenant where the user is a member, whatever its status (SECURITY DEFINER, migration 0010). */
export async function membershipTenants(tx: Queryable, userId: string): Promise<{ id: string; deleted: boolean }[]> {
  const { rows } = await tx.query<{ id: string; status: string }>(
    'select id, status from tenants where id in (select tenant_id from tenantry_user_membership_tenants($1)) order by id',
    [userId],
  )
  return rows.map((row) => ({ id: row.id, deleted: row.status === 'deleted' }))
}

/** Stops logins and token use at once; an erased user stays erased. As the owner (withPlatform). */
export async function disableUser(tx: Queryable, id: string): Promise<void> {
  await tx.query("update users set status = 'disabled', updated_at = now() where id = $1 and status <> 'erased'", [id])
}

/**
 * Erasure (D56): the row stays for the ids that point at it, but nothing in it identifies the
 * person. The email becomes a placeholder that keeps the unique constraint and frees the address.
 * As the owner (withPlatform): it writes columns the app role may not.
 */
export async function scrubUser(tx: Queryable, id: string): Promise<UserRow | undefined> {
  // `status <> 'erased'`: of two erasures at once, one scrubs (and audits), the other finds it done.
  const { rows } = await tx.query<UserRow>(
    `update users
        set email = 'erased-' || id || '@erased.invalid', name = null, password_hash = null, last_login_at = null,
            default_tenant_id = null, is_platform_admin = false, status = 'erased', erased_at = now(), updated_at = now()
      where id = $1 and status <> 'erased'
     returning ${COLUMNS}`,
    [id],
  )
  return rows[0]
}
