import { randomUUID } from 'node:crypto'
import type { Database } from '../../src/db/index.ts'

/** Inserts an active tenant as the schema owner (the control plane's API comes later). */
export async function createTenant(db: Database, slug = `t-${randomUUID().slice(0, 8)}`): Promise<string> {
  const { rows } = await db.withOwnerSession((session) =>
    session.query<{ id: string }>(`insert into tenants (slug, name, status) values ($1, $1, 'active') returning id`, [slug]),
  )
  return rows[0]!.id
}
