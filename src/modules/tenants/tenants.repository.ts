// SQL for the tenants table (global) and the per-tenant counts the lifecycle needs.
import type { Queryable } from '../../db/index.ts'
import type { PlanName, TenantSettings } from '../plans/index.ts'
import type { ListTenantsFilter } from './tenants.schemas.ts'

export interface TenantRow {
  id: string
  slug: string
  name: string
  status: 'provisioning' | 'active' | 'suspended' | 'deleted'
  plan: PlanName
  settings: TenantSettings
  created_at: Date
  updated_at: Date
  deleted_at: Date | null
}

const COLUMNS = 'id, slug, name, status, plan, settings, created_at, updated_at, deleted_at'

export async function insertTenant(tx: Queryable, tenant: { id: string; slug: string; name: string; plan: PlanName; settings: TenantSettings }): Promise<TenantRow> {
  const { rows } = await tx.query<TenantRow>(
    `insert into tenants (id, slug, name, plan, settings, status) values ($1, $2, $3, $4, $5, 'provisioning') returning ${COLUMNS}`,
    [tenant.id, tenant.slug, tenant.name, tenant.plan, JSON.stringify(tenant.settings)],
  )
  return rows[0]!
}

export async function findTenant(tx: Queryable, id: string): Promise<TenantRow | undefined> {
  const { rows } = await tx.query<TenantRow>(`select ${COLUMNS} from tenants where id = $1`, [id])
  return rows[0]
}

/**
 * Reads and locks the tenant row until the transaction ends: lifecycle changes and quota checks
 * serialise on it. NO KEY UPDATE, not UPDATE: the foreign-key checks of every insert into the
 * tenant's tables take KEY SHARE on this row, which UPDATE would block for the whole transaction.
 */
export async function lockTenant(tx: Queryable, id: string): Promise<TenantRow | undefined> {
  const { rows } = await tx.query<TenantRow>(`select ${COLUMNS} from tenants where id = $1 for no key update`, [id])
  return rows[0]
}

/** Whether the tenant exists and is not deleted (an operator may still act inside it). */
export async function isLiveTenant(tx: Queryable, id: string): Promise<boolean> {
  const { rows } = await tx.query("select 1 from tenants where id = $1 and status <> 'deleted'", [id])
  return rows.length > 0
}

/** Taken as a slug, or as another tenant's subdomain (both route under the base domain). */
export async function slugTaken(tx: Queryable, slug: string): Promise<boolean> {
  const { rows } = await tx.query(`select 1 from tenants where slug = $1 or settings->>'subdomain' = $1`, [slug])
  return rows.length > 0
}

export async function updateTenant(
  tx: Queryable,
  id: string,
  changes: { name?: string; settings?: TenantSettings; plan?: PlanName; status?: TenantRow['status']; deleted?: boolean | null },
): Promise<TenantRow | undefined> {
  const { rows } = await tx.query<TenantRow>(
    `update tenants set
       name = coalesce($2, name), settings = coalesce($3::jsonb, settings), plan = coalesce($4, plan), status = coalesce($5, status),
       deleted_at = case when $6::boolean is null then deleted_at when $6 then now() else null end,
       updated_at = now()
     where id = $1 returning ${COLUMNS}`,
    [id, changes.name ?? null, changes.settings ? JSON.stringify(changes.settings) : null, changes.plan ?? null, changes.status ?? null, changes.deleted ?? null],
  )
  return rows[0]
}

/** Newest first, keyset-paginated on (created_at, id); `limit + 1` rows tell whether more exist. */
export async function listTenants(tx: Queryable, filter: ListTenantsFilter & { limit: number }, after: { at: string; id: string } | undefined): Promise<(TenantRow & { position: string })[]> {
  const pattern = filter.q ? `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null
  const { rows } = await tx.query<TenantRow & { position: string }>(
    `select ${COLUMNS}, created_at::text as position from tenants
      where ($1::text is null or status = $1) and ($2::text is null or plan = $2)
        and ($3::text is null or name ilike $3 or slug ilike $3)
        and ($4::timestamptz is null or (created_at, id) < ($4::timestamptz, $5::uuid))
      order by created_at desc, id desc limit $6`,
    [filter.status ?? null, filter.plan ?? null, pattern, after?.at ?? null, after?.id ?? null, filter.limit + 1],
  )
  return rows
}

/** Members (any status: invited ones hold a seat) and items of the tenant in context. */
export async function tenantUsage(tx: Queryable & { tenantId: string }): Promise<{ users: number; items: number }> {
  const { rows } = await tx.query<{ users: number; items: number }>(
    `select (select count(*)::int from tenant_users where tenant_id = $1) as users,
            (select count(*)::int from inventory_items where tenant_id = $1) as items`,
    [tx.tenantId],
  )
  return rows[0]!
}

export async function deleteTenantRows(tx: Queryable & { tenantId: string }, table: string): Promise<number> {
  // The table name comes from the table registry, never from input.
  const { rowCount } = await tx.query(`delete from ${table} where tenant_id = $1`, [tx.tenantId])
  return rowCount
}

export async function countTenantRows(tx: Queryable & { tenantId: string }, table: string): Promise<number> {
  const { rows } = await tx.query<{ n: number }>(`select count(*)::int as n from ${table} where tenant_id = $1`, [tx.tenantId])
  return rows[0]!.n
}

export async function deleteTenant(tx: Queryable, id: string): Promise<void> {
  await tx.query('delete from tenants where id = $1', [id])
}

/** The append-only logs (audit, RBAC decisions) go through the one function allowed to erase them. */
export async function eraseTenantLogs(tx: Queryable & { tenantId: string }): Promise<void> {
  await tx.query('select tenantry_erase_tenant_logs($1)', [tx.tenantId])
}
