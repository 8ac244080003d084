// Global tables only (tenants, users, permissions, roles, platform audit). withSystem runs as the
// app role with no tenant set, so RLS shows no tenant-scoped rows; a statement that names a tenant-scoped
// table is refused up front, because an empty result there would hide a bug.
import type { Database, Queryable } from './database.ts'
import { tenantTables } from './table-registry.ts'

const tenantTablePattern = new RegExp(`\\b(${tenantTables().join('|')})\\b`, 'i')

export class SystemScopeError extends Error {
  override name = 'SystemScopeError'
}

export function withSystem<T>(db: Database, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.systemTransaction((tx) => fn(globalOnly(tx)))
}

/**
 * Like withSystem, as the schema owner: the writes to global rows the app role may not make
 * (platform admins, a user's status and erasure; docs/decisions.md D73).
 * CAUTION: only code that has already authorised an operator (or the CLI, a start) may call it.
 */
export function withPlatform<T>(db: Database, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.ownerTransaction(undefined, (tx) => fn(globalOnly(tx)))
}

function globalOnly(tx: Queryable): Queryable {
  return {
    query(text, params) {
      const match = tenantTablePattern.exec(text)
      if (match) {
        throw new SystemScopeError(`systemDb cannot reach tenant-scoped table ${match[1]}; use withTenant or forEachTenant`)
      }
      return tx.query(text, params)
    },
  }
}
