// Global tables only (tenants, users, permissions, roles, platform audit). Runs as the app role
// with no tenant set, so RLS shows no tenant-scoped rows; a statement that names a tenant-scoped
// table is refused up front, because an empty result there would hide a bug.
import type { Database, Queryable } from './database.ts'
import { tenantTables } from './table-registry.ts'

const tenantTablePattern = new RegExp(`\\b(${tenantTables().join('|')})\\b`, 'i')

export class SystemScopeError extends Error {
  override name = 'SystemScopeError'
}

export function withSystem<T>(db: Database, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.systemTransaction((tx) =>
    fn({
      query(text, params) {
        const match = tenantTablePattern.exec(text)
        if (match) {
          throw new SystemScopeError(`systemDb cannot reach tenant-scoped table ${match[1]}; use withTenant or forEachTenant`)
        }
        return tx.query(text, params)
      },
    }),
  )
}
