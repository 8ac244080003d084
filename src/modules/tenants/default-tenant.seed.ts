import type { OwnerSession } from '../../db/index.ts'

export interface DefaultTenant {
  id: string
  slug: string
  created: boolean
}

/** Idempotent: the tenant ALLOW_DEFAULT_TENANT falls back to, created active on the basic plan. */
export async function seedDefaultTenant(session: OwnerSession, id: string): Promise<DefaultTenant> {
  const inserted = await session.query(
    `insert into tenants (id, slug, name, status, plan) values ($1, 'default', 'Default tenant', 'active', 'basic')
     on conflict do nothing`,
    [id],
  )
  const { rows } = await session.query<{ slug: string }>('select slug from tenants where id = $1', [id])
  if (!rows[0]) throw new Error(`DEFAULT_TENANT_ID ${id} cannot be seeded: the slug "default" belongs to another tenant`)
  return { id, slug: rows[0].slug, created: inserted.rowCount > 0 }
}
