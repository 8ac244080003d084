// SQL for api_keys; every statement filters on tx.tenantId. Never selects key_hash except for
// verification, and nothing here ever sees a key in clear.
import type { TenantTx } from '../../db/index.ts'
import type { PlanName, TenantSettings } from '../plans/index.ts'

export interface ApiKeyRow {
  id: string
  name: string
  /** The stored prefix (tenant hex + key hex); routes show its display form. */
  prefix: string
  /** The system or custom role the key acts as, or null for an explicit permission list. */
  role_id: string | null
  role: string | null
  /** The effective permissions: the role's (as it is now) or the key's own list. */
  permissions: string[]
  created_by: string | null
  expires_at: Date | null
  last_used_at: Date | null
  revoked_at: Date | null
  created_at: Date
}

export interface UsableKeyRow {
  id: string
  key_hash: Uint8Array
  expires_at: Date | null
  permissions: string[]
}

// A key holds a system role, a custom role of its tenant, or its own permission list (the
// api_keys_grant check makes it exactly one); the role's permissions are read as they are now.
const PERMISSIONS = `case when k.role_id is not null then array(select rp.permission from role_permissions rp where rp.role_id = k.role_id order by 1)
       when k.custom_role_id is not null then array(select trp.permission from tenant_role_permissions trp where trp.tenant_id = k.tenant_id and trp.role_id = k.custom_role_id order by 1)
       else k.permissions end`

const KEY_SELECT = `select k.id, k.name, k.prefix, coalesce(k.role_id, k.custom_role_id) as role_id, coalesce(r.name, cr.name) as role,
       ${PERMISSIONS} as permissions, k.created_by, k.expires_at, k.last_used_at, k.revoked_at, k.created_at
  from api_keys k
  left join roles r on r.id = k.role_id
  left join tenant_roles cr on cr.tenant_id = k.tenant_id and cr.id = k.custom_role_id`

export async function listKeys(tx: TenantTx, limit: number, after: { at: string; id: string } | undefined): Promise<(ApiKeyRow & { position: string })[]> {
  const { rows } = await tx.query<ApiKeyRow & { position: string }>(
    `${KEY_SELECT.replace(' from api_keys k', ', k.created_at::text as position from api_keys k')}
      where k.tenant_id = $1 and ($2::timestamptz is null or (k.created_at, k.id) > ($2::timestamptz, $3::uuid))
      order by k.created_at, k.id limit $4`,
    [tx.tenantId, after?.at ?? null, after?.id ?? null, limit + 1],
  )
  return rows
}

/** One key by id, locked for the rest of the transaction (revocation). */
export async function findKeyForUpdate(tx: TenantTx, id: string): Promise<ApiKeyRow | undefined> {
  const { rows } = await tx.query<ApiKeyRow>(`${KEY_SELECT} where k.tenant_id = $1 and k.id = $2 for update of k`, [tx.tenantId, id])
  return rows[0]
}

export interface NewKeyRow {
  name: string
  prefix: string
  keyHash: Buffer
  roleId: string | null
  customRoleId: string | null
  permissions: string[] | null
  createdBy: string | null
  expiresAt: Date | null
}

/** Inserts a key; undefined when its prefix is already taken in the tenant (the caller draws another). */
export async function insertKey(tx: TenantTx, key: NewKeyRow): Promise<{ id: string; created_at: Date } | undefined> {
  const { rows } = await tx.query<{ id: string; created_at: Date }>(
    `insert into api_keys (tenant_id, name, prefix, key_hash, role_id, custom_role_id, permissions, created_by, expires_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     on conflict (tenant_id, prefix) do nothing
     returning id, created_at`,
    [tx.tenantId, key.name, key.prefix, key.keyHash, key.roleId, key.customRoleId, key.permissions, key.createdBy, key.expiresAt],
  )
  return rows[0]
}

export async function revokeKey(tx: TenantTx, id: string): Promise<void> {
  await tx.query('update api_keys set revoked_at = now() where tenant_id = $1 and id = $2 and revoked_at is null', [tx.tenantId, id])
}

/** The key with this prefix if it is neither revoked nor expired, with its hash and permissions. */
export async function findUsableKey(tx: TenantTx, prefix: string): Promise<UsableKeyRow | undefined> {
  const { rows } = await tx.query<UsableKeyRow>(
    `select k.id, k.key_hash, k.expires_at, ${PERMISSIONS} as permissions
       from api_keys k
      where k.tenant_id = $1 and k.prefix = $2 and k.revoked_at is null and (k.expires_at is null or k.expires_at > now())`,
    [tx.tenantId, prefix],
  )
  return rows[0]
}

/** Sets last_used_at unless another instance did within the last minute. */
export async function touchKey(tx: TenantTx, id: string): Promise<void> {
  await tx.query(
    `update api_keys set last_used_at = now()
      where tenant_id = $1 and id = $2 and (last_used_at is null or last_used_at < now() - interval '1 minute')`,
    [tx.tenantId, id],
  )
}

/** The tenant's plan and settings (a global row), for the api_keys feature check. */
export async function findTenantPlan(tx: TenantTx): Promise<{ plan: PlanName; settings: TenantSettings } | undefined> {
  const { rows } = await tx.query<{ plan: PlanName; settings: TenantSettings }>('select plan, settings from tenants where id = $1', [tx.tenantId])
  return rows[0]
}
