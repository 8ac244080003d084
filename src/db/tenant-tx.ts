// The only way request and job code reaches tenant-scoped tables (DESIGN §5.1).
//
// CAUTION: this is where a tenant is trusted. The tenant comes from the AsyncLocalStorage
// context that the request pipeline or runWithTenant set, never from an argument alone: an
// explicit tenantId must match the context. Inside, the transaction runs as DATABASE_APP_ROLE
// with app.current_tenant_id set transaction-locally, so RLS holds even if a query forgets
// its tenant_id filter; repositories still filter on tx.tenantId explicitly.
import { currentTenantId, runWithTenant, TenantContextError, type Actor } from '../context/index.ts'
import type { Database, Queryable, QueryResult } from './database.ts'

/** A transaction bound to one tenant; repositories filter on `tenantId` explicitly. */
export interface TenantTx extends Queryable {
  readonly tenantId: string
  /**
   * Runs fn once the transaction has committed (never after a rollback), with the database it
   * committed on: for signals that must not precede the data (waking the webhook dispatchers).
   * fn must not throw; it runs after the caller's result is settled.
   */
  afterCommit(fn: (db: Database) => void): void
}

type TenantWork<T> = (tx: TenantTx) => Promise<T>

/** Runs fn in one transaction in the context's tenant. Throws TenantContextError without one. */
export function withTenant<T>(db: Database, fn: TenantWork<T>): Promise<T>
export function withTenant<T>(db: Database, tenantId: string, fn: TenantWork<T>): Promise<T>
export async function withTenant<T>(db: Database, tenantOrFn: string | TenantWork<T>, maybeFn?: TenantWork<T>): Promise<T> {
  const [tenantId, fn] = resolveArgs(tenantOrFn, maybeFn)
  const committed: ((db: Database) => void)[] = []
  const value = await db.tenantTransaction(tenantId, (tx) => fn(bind(tx, tenantId, committed)))
  runAfterCommit(db, committed)
  return value
}

/**
 * Like withTenant, but as the schema owner (Database.ownerTransaction): the platform writes the
 * app role holds no privilege for (docs/decisions.md D73): tenant lifecycle, audit retention.
 * CAUTION: only code that has already authorised an operator (or a job) may call it.
 */
export async function withTenantAsOwner<T>(db: Database, fn: TenantWork<T>): Promise<T> {
  const tenantId = currentTenantId()
  const committed: ((db: Database) => void)[] = []
  const value = await db.ownerTransaction(tenantId, (tx) => fn(bind(tx, tenantId, committed)))
  runAfterCommit(db, committed)
  return value
}

/**
 * Like withTenant, read-only, with one snapshot for every statement (REPEATABLE READ): what a
 * tenant export reads is the tenant as of one moment, whatever commits meanwhile.
 */
export async function withTenantSnapshot<T>(db: Database, fn: (tx: Queryable & { readonly tenantId: string }) => Promise<T>): Promise<T> {
  const tenantId = currentTenantId()
  return db.tenantTransaction(tenantId, (tx) => fn({ tenantId, query: (text, params) => tx.query(text, params) }), { snapshot: true })
}

/**
 * Like withTenant for work that is exactly one statement (a read by id, a single update): the
 * context and the statement share one round trip instead of BEGIN … COMMIT. A second statement
 * inside fn is a programming error and throws.
 */
export function withTenantStatement<T>(db: Database, fn: TenantWork<T>): Promise<T> {
  // A then, not an async function: one promise instead of two on every read (each costs its
  // share of the AsyncLocalStorage hooks). Errors still arrive as a rejection, as from withTenant.
  let tx: StatementTx
  let result: Promise<T>
  try {
    tx = new StatementTx(db, currentTenantId())
    result = fn(tx)
  } catch (error) {
    return Promise.reject(error)
  }
  return result.then((value) => {
    if (tx.committed) runAfterCommit(db, tx.committed)
    return value
  })
}

/** The TenantTx of withTenantStatement: a class, because every read builds one. */
class StatementTx implements TenantTx {
  committed: ((db: Database) => void)[] | undefined
  private used = false

  private readonly db: Database
  readonly tenantId: string

  constructor(
    db: Database,
    tenantId: string,
  ) {
    this.db = db
    this.tenantId = tenantId
  }

  query<Row>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
    if (this.used) throw new Error('withTenantStatement runs one statement; use withTenant for more')
    this.used = true
    return this.db.tenantStatement<Row>(this.tenantId, text, params)
  }

  afterCommit(fn: (db: Database) => void): void {
    ;(this.committed ??= []).push(fn)
  }
}

export interface ForEachTenantResult {
  succeeded: number
  failed: { tenantId: string; error: unknown }[]
}

/**
 * System work across tenants: each tenant runs under its own context (never one transaction
 * that spans tenants). A tenant whose work throws is recorded and the others still run.
 */
export async function forEachTenant(
  db: Database,
  fn: (tenantId: string) => Promise<void>,
  options: { statuses?: string[]; actor?: Actor; batchSize?: number } = {},
): Promise<ForEachTenantResult> {
  const statuses = options.statuses ?? ['active', 'suspended']
  const batchSize = options.batchSize ?? 500
  const result: ForEachTenantResult = { succeeded: 0, failed: [] }
  let after = '00000000-0000-0000-0000-000000000000'
  for (;;) {
    const { rows } = await db.systemTransaction((tx) =>
      tx.query<{ id: string }>('select id from tenants where status = any($1::text[]) and id > $2 order by id limit $3', [statuses, after, batchSize]),
    )
    for (const { id } of rows) {
      try {
        await runWithTenant(id, () => fn(id), options.actor)
        result.succeeded += 1
      } catch (error) {
        result.failed.push({ tenantId: id, error })
      }
    }
    if (rows.length < batchSize) return result
    after = rows[rows.length - 1]!.id
  }
}

function resolveArgs<T>(tenantOrFn: string | TenantWork<T>, maybeFn: TenantWork<T> | undefined): [string, TenantWork<T>] {
  const contextTenant = currentTenantId()
  if (typeof tenantOrFn === 'function') return [contextTenant, tenantOrFn]
  if (tenantOrFn !== contextTenant) {
    throw new TenantContextError(`withTenant(${tenantOrFn}) called inside the context of tenant ${contextTenant}`)
  }
  return [tenantOrFn, maybeFn!]
}

function bind(tx: Queryable, tenantId: string, committed: ((db: Database) => void)[]): TenantTx {
  return { tenantId, query: (text, params) => tx.query(text, params), afterCommit: (callback) => committed.push(callback) }
}

function runAfterCommit(db: Database, callbacks: ((db: Database) => void)[]): void {
  for (const callback of callbacks) callback(db)
}
