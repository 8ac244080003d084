import { PGlite, type Transaction } from '@electric-sql/pglite'
import type { Database, OwnerSession, PoolStats, Queryable, QueryResult, TransactionOptions } from '../database.ts'
import { assertTenantId, contextStatement, NO_TENANT, SET_TENANT_SQL } from '../context-statement.ts'
import { observeQuery } from '../../observability/db-metrics.ts'
import type { DataDirLock } from './data-dir-lock.ts'

export interface PgliteDatabaseOptions {
  /** A directory, or undefined for an in-memory database. */
  dataDir: string | undefined
  appRole: string
  /** A dumpDataDir() snapshot to start from (tests clone a migrated database this way). */
  loadDataDir?: Blob | File
  /** The data directory's lock (data-dir-lock.ts), held until close, released if the open fails. */
  lock?: DataDirLock
}

/**
 * The embedded database: PostgreSQL compiled to WebAssembly, one session in this process. PGlite
 * serialises transactions itself, so a transaction holds "the connection" for its duration. It
 * logs in as a superuser, so every request-traffic transaction switches to the app role.
 */
export class PgliteDatabase implements Database {
  readonly kind = 'pglite' as const
  private closed = false

  private readonly pglite: PGlite
  readonly appRole: string
  private readonly lock: DataDirLock | undefined

  private constructor(
    pglite: PGlite,
    appRole: string,
    lock: DataDirLock | undefined,
  ) {
    this.pglite = pglite
    this.appRole = appRole
    this.lock = lock
  }

  static async open(options: PgliteDatabaseOptions): Promise<PgliteDatabase> {
    try {
      const pglite = await PGlite.create({ dataDir: options.dataDir, loadDataDir: options.loadDataDir })
      return new PgliteDatabase(pglite, options.appRole, options.lock)
    } catch (error) {
      options.lock?.release()
      throw error
    }
  }

  async tenantTransaction<T>(tenantId: string, fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T> {
    assertTenantId(tenantId)
    return this.transaction(tenantId, fn, options)
  }

  async tenantStatement<Row>(tenantId: string, text: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
    return this.tenantTransaction(tenantId, (tx) => tx.query<Row>(text, params))
  }

  systemTransaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.transaction(NO_TENANT, fn)
  }

  ownerTransaction<T>(tenantId: string | undefined, fn: (tx: Queryable) => Promise<T>): Promise<T> {
    if (tenantId !== undefined) assertTenantId(tenantId)
    return this.transaction(tenantId ?? NO_TENANT, fn, {}, { text: SET_TENANT_SQL, values: [tenantId ?? NO_TENANT] })
  }

  async withOwnerSession<T>(fn: (session: OwnerSession) => Promise<T>): Promise<T> {
    this.assertOpen()
    return fn({
      query: async <Row>(text: string, params: readonly unknown[] = []) => toResult<Row>(await this.pglite.query<Row>(text, params as unknown[])),
      exec: async (script: string) => {
        await this.pglite.exec(script)
      },
    })
  }

  async ping(): Promise<void> {
    this.assertOpen()
    await this.pglite.query('select 1')
  }

  poolStats(): PoolStats {
    return { total: 1, idle: 1, waiting: 0 }
  }

  async listen(channel: string, onNotify: () => void): Promise<() => Promise<void>> {
    this.assertOpen()
    const unlisten = await this.pglite.listen(channel, () => onNotify())
    return async () => {
      if (!this.closed) await unlisten()
    }
  }

  async notify(channel: string): Promise<void> {
    this.assertOpen()
    await this.pglite.query("select pg_notify($1, '')", [channel])
  }

  /** A snapshot of the whole data directory (used to clone a migrated database in tests). */
  dumpDataDir(): Promise<File | Blob> {
    return this.pglite.dumpDataDir('none')
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    try {
      await this.pglite.close()
    } finally {
      this.lock?.release()
    }
  }

  private async transaction<T>(
    tenantId: string,
    fn: (tx: Queryable) => Promise<T>,
    options: TransactionOptions = {},
    context: { text: string; values: readonly unknown[] } = contextStatement(tenantId, this.appRole, false),
  ): Promise<T> {
    this.assertOpen()
    return this.pglite.transaction(async (pgTx: Transaction) => {
      // PGlite runs one transaction at a time, so nothing changes under it anyway; the mode is
      // set for what it also forbids (writes).
      if (options.snapshot) await pgTx.query('set transaction isolation level repeatable read, read only')
      await pgTx.query(context.text, context.values as unknown[])
      let finished = false
      const tx: Queryable = {
        query: async <Row>(sql: string, params: readonly unknown[] = []) => {
          if (finished) throw new Error('query on a finished transaction: keep queries inside the withTenant callback')
          const started = performance.now()
          try {
            return toResult<Row>(await pgTx.query<Row>(sql, params as unknown[]))
          } finally {
            observeQuery(sql, started)
          }
        },
      }
      try {
        return await fn(tx)
      } finally {
        finished = true
      }
    })
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('database is closed')
  }
}

function toResult<Row>(result: { rows: Row[]; affectedRows?: number }): QueryResult<Row> {
  return { rows: result.rows, rowCount: result.affectedRows || result.rows.length }
}
