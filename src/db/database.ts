import type { OwnerSession, Queryable, QueryResult } from './queryable.ts'

export type { OwnerSession, Queryable, QueryResult } from './queryable.ts'

export interface TransactionOptions {
  snapshot?: boolean
}

export interface PoolStats {
  total: number
  idle: number
  waiting: number
}

/**
 * One interface over PostgreSQL (pg) and PGlite. Request traffic goes only through the first
 * three methods, which always run as DATABASE_APP_ROLE (RLS applies) with the tenant variable
 * set transaction-locally; `owner` is for migrations, seeds and checks at start.
 *
 * Prefer the tenant-context wrappers in tenant-tx.ts / system-tx.ts to calling these directly.
 */
export interface Database {
  readonly kind: 'postgres' | 'pglite'
  readonly appRole: string
  /**
   * One transaction as the app role with app.current_tenant_id = tenantId. snapshot: read-only,
   * REPEATABLE READ, so every statement sees the database as of the first (an export).
   */
  tenantTransaction<T>(tenantId: string, fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T>
  /** One statement as the app role in tenantId, in one round trip (an implicit transaction). */
  tenantStatement<Row = Record<string, unknown>>(tenantId: string, text: string, params?: readonly unknown[]): Promise<QueryResult<Row>>
  /** One transaction as the app role with no tenant: tenant-scoped tables show no rows. */
  systemTransaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>
  /**
   * One transaction as the schema owner (no switch to the app role), in tenantId's context when
   * one is given: the platform writes request traffic may not make (tenant lifecycle, platform
   * admins, user erasure, audit retention and erasure; docs/decisions.md D73). The tenant
   * variable is set as in tenantTransaction, so forced RLS still holds an owner without BYPASSRLS
   * to that tenant.
   */
  ownerTransaction<T>(tenantId: string | undefined, fn: (tx: Queryable) => Promise<T>): Promise<T>
  /** A dedicated owner session (holds one connection for fn's duration). */
  withOwnerSession<T>(fn: (session: OwnerSession) => Promise<T>): Promise<T>
  /** Throws when the database does not answer within timeoutMs. */
  ping(timeoutMs?: number): Promise<void>
  poolStats(): PoolStats
  /**
   * Calls onNotify for each NOTIFY on channel (payloads are not used: a notification only means
   * "look again"), and once more after a lost listening connection is back, since notifications
   * sent while it was down are gone. Resolves to a function that stops listening.
   */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>
  /** NOTIFY channel in a statement of its own (autocommit). */
  notify(channel: string): Promise<void>
  close(): Promise<void>
}
