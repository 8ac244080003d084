// SQL for tenant_domains (the tenant's verified custom domains) and the one lookup across tenants.
import type { Queryable, TenantTx } from '../../db/index.ts'

export async function verifiedDomains(tx: TenantTx): Promise<{ domain: string; verified_at: Date }[]> {
  const { rows } = await tx.query<{ domain: string; verified_at: Date }>('select domain, verified_at from tenant_domains where tenant_id = $1 order by domain', [tx.tenantId])
  return rows
}

export async function insertVerified(tx: TenantTx, domain: string): Promise<Date> {
  const { rows } = await tx.query<{ verified_at: Date }>(
    `with inserted as (insert into tenant_domains (tenant_id, domain) values ($1, $2) on conflict (tenant_id, domain) do nothing returning verified_at)
     select verified_at from inserted union all select verified_at from tenant_domains where tenant_id = $1 and domain = $2 limit 1`,
    [tx.tenantId, domain],
  )
  return rows[0]!.verified_at
}

/** Verified domains the tenant no longer lists in settings.domains stop routing with the change. */
export async function deleteUnlisted(tx: TenantTx, listed: readonly string[]): Promise<void> {
  await tx.query('delete from tenant_domains where tenant_id = $1 and not (domain = any($2::text[]))', [tx.tenantId, listed])
}

/** The tenant a verified domain routes to, whoever asks (SECURITY DEFINER, migration 0013). */
export async function domainTenant(tx: Queryable, domain: string): Promise<string | undefined> {
  const { rows } = await tx.query<{ tenant_id: string | null }>('select tenantry_domain_tenant($1) as tenant_id', [domain])
  return rows[0]?.tenant_id ?? undefined
}

/** Serialises verifications of one domain (any tenant) until the transaction ends. */
export async function lockDomain(tx: Queryable, domain: string): Promise<void> {
  await tx.query(`select pg_advisory_xact_lock(hashtextextended('tenantry.domain:' || $1, 0))`, [domain])
}
