// The labels under BASE_DOMAIN that route to tenants (<label>.BASE_DOMAIN). CAUTION: a label
// routes to one tenant or none; two tenants sharing one would let a subdomain reach either.
import type { Queryable } from '../../db/index.ts'
import { AppError } from '../../errors/index.ts'
import { RESERVED_SLUGS } from './slug.ts'

/** A tenant's label: its subdomain when one is set (then the only one), its slug otherwise. */
export function routingLabel(tenant: { slug: string; settings: { subdomain?: string } }): string {
  return tenant.settings.subdomain ?? tenant.slug
}

/**
 * Refuses a label another tenant holds as its slug or its subdomain (409), in the transaction
 * that writes it. The transaction-scoped advisory lock on the label makes a concurrent claim of
 * the same label (a new tenant's slug, another tenant's subdomain) wait for this one's commit and
 * then see it. A tenant's own slug is free to it as a subdomain.
 */
export async function claimHostLabel(tx: Queryable, label: string, tenantId: string, as: 'slug' | 'subdomain'): Promise<void> {
  if (as === 'subdomain' && RESERVED_SLUGS.has(label)) {
    throw new AppError('validation_failed', `subdomain "${label}" is reserved`, { field: 'settings.subdomain' })
  }
  await tx.query(`select pg_advisory_xact_lock(hashtextextended('tenantry.host-label:' || $1, 0))`, [label])
  // Slug against slug is the unique constraint's (tenants_slug_key): creation retries on it.
  const { rows } = await tx.query<{ taken_as: string }>(
    `select case when slug = $1 then 'slug' else 'subdomain' end as taken_as
       from tenants where id <> $2 and (settings->>'subdomain' = $1 or ($3 and slug = $1)) limit 1`,
    [label, tenantId, as === 'subdomain'],
  )
  if (rows[0]) {
    throw new AppError('already_exists', `"${label}" is already another tenant's ${rows[0].taken_as}: a label under the base domain routes to one tenant`, {
      field: as === 'slug' ? 'slug' : 'settings.subdomain',
    })
  }
}
