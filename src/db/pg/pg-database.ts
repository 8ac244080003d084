import pg from 'pg'
import type { Database, OwnerSession, PoolStats, Queryable, QueryResult, TransactionOptions } from '../database.ts'
import { assertTenantId, contextStatement, NO_TENANT, SET_TENANT_SQL } from '../context-statement.ts'
import { runPipeline, submitPipeline, type Step } from './pipelined-query.ts'
import { statementName } from './statement-names.ts'
import { withTimeout } from '../../lib/with-timeout.ts'
import { observeQuery } from '../../observability/db-metrics.ts'
import { NotificationListener } from './notification-listener.ts'

export interface PgDatabaseOptions {
  /** Schema owner: migrations, seeds, catalog checks. */
  ownerUrl: string
  /** Logs in as the app role; absent = request traffic uses the owner URL and switches role per transaction. */
  appUrl?: string
  appRole: string
  poolMax: number
  /** Called for connection errors that have no request to fail (e.g. the server restarted). */
  onPoolError: (error: Error) => void
}

type PoolClient = pg.PoolClient

const PING_SQL = 'select 1'

/**
 * PostgreSQL through pg. A tenant transaction costs one round trip for BEGIN + context + the
 * first statement (pipelined before one Sync), one per further statement, and one for COMMIT;
 * a tenant statement costs one round trip in all. See docs/decisions.md (driver choice).
 */
export class PgDatabase implements Database {
  readonly kind = 'postgres' as const
  readonly appRole: string
  private readonly ownerPool: pg.Pool
  private readonly appPool: pg.Pool
  private readonly loggedInAsAppRole: boolean
  private readonly onPoolError: (error: Error) => void
  private readonly listenUrl: string

  constructor(options: PgDatabaseOptions) {
    this.appRole = options.appRole
    this.listenUrl = options.appUrl ?? options.ownerUrl
    this.onPoolError = options.onPoolError
    this.loggedInAsAppRole = options.appUrl !== undefined
    this.ownerPool = this.createPool(options.ownerUrl, options.appUrl ? 4 : options.poolMax)
    this.appPool = options.appUrl ? this.createPool(options.appUrl, options.poolMax) : this.ownerPool
  }

  async tenantTransaction<T>(tenantId: string, fn: (tx: Queryable) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    assertTenantId(tenantId)
    return this.transaction(tenantId, fn, options.snapshot ? BEGIN_SNAPSHOT : BEGIN)
  }

  // Callbacks, not awaits, inside: this is every read's path, and each promise of a request costs
  // its share of the AsyncLocalStorage hooks (one promise here instead of three).
  tenantStatement<Row>(tenantId: string, text: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
    assertTenantId(tenantId)
    // No BEGIN: the context statement and the query share the implicit transaction that lasts
    // until Sync, so the transaction-local settings end with it.
    const steps = [this.contextStep(tenantId), step(text, params)]
    return new Promise((resolve, reject) => {
      this.appPool.connect((connectError, client, release) => {
        if (connectError || !client) return reject(connectError)
        const started = performance.now()
        // This runs inside pg-pool and pg callbacks: nothing may throw out of it, and the promise
        // settles before the client goes back (release can hand it to the next waiter at once).
        try {
          submitPipeline(client, steps, (error, result) => {
            if (error) reject(error)
            else resolve(toResult<Row>(result!))
            release(error && isConnectionError(error) ? error : undefined)
            observeQuery(text, started)
          })
        } catch (error) {
          reject(error)
          release(error as Error)
        }
      })
    })
  }

  systemTransaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.transaction(NO_TENANT, fn)
  }

  ownerTransaction<T>(tenantId: string | undefined, fn: (tx: Queryable) => Promise<T>): Promise<T> {
    if (tenantId !== undefined) assertTenantId(tenantId)
    return this.transaction(tenantId ?? NO_TENANT, fn, BEGIN, this.ownerPool, step(SET_TENANT_SQL, [tenantId ?? NO_TENANT]))
  }

  async withOwnerSession<T>(fn: (session: OwnerSession) => Promise<T>): Promise<T> {
    const client = await this.ownerPool.connect()
    let broken: Error | undefined
    const session: OwnerSession = {
      query: async <Row>(text: string, params: readonly unknown[] = []) => toResult<Row>(await client.query(text, params as unknown[])),
      exec: async (script: string) => {
        await client.query(script)
      },
    }
    try {
      return await fn(session)
    } catch (error) {
      if (isConnectionError(error)) broken = error as Error
      throw error
    } finally {
      client.release(broken)
    }
  }

  async ping(timeoutMs = 2000): Promise<void> {
    const connecting = this.appPool.connect()
    let client: PoolClient
    try {
      client = await withTimeout(connecting, timeoutMs, 'database did not answer')
    } catch (error) {
      // The connect may still succeed later: hand that connection back instead of leaking it.
      connecting.then((late) => late.release(true), () => undefined)
      throw error
    }
    try {
      await withTimeout(client.query(PING_SQL), timeoutMs, 'database did not answer')
      client.release()
    } catch (error) {
      client.release(error as Error)
      throw error
    }
  }

  poolStats(): PoolStats {
    return { total: this.appPool.totalCount, idle: this.appPool.idleCount, waiting: this.appPool.waitingCount }
  }

  async listen(channel: string, onNotify: () => void): Promise<() => Promise<void>> {
    const listener = new NotificationListener(this.listenUrl, channel, onNotify, this.onPoolError)
    await listener.start()
    return () => listener.stop()
  }

  async notify(channel: string): Promise<void> {
    await this.appPool.query('select pg_notify($1, \'\')', [channel])
  }

  async close(): Promise<void> {
    await this.appPool.end()
    if (this.ownerPool !== this.appPool) await this.ownerPool.end()
  }

  private async transaction<T>(tenantId: string, fn: (tx: Queryable) => Promise<T>, begin = BEGIN, pool = this.appPool, context = this.contextStep(tenantId)): Promise<T> {
    const client = await pool.connect()
    let begun = false
    let finished = false
    const tx: Queryable = {
      query: async <Row>(text: string, params: readonly unknown[] = []) => {
        if (finished) throw new Error('query on a finished transaction: keep queries inside the withTenant callback')
        const started = performance.now()
        try {
          if (!begun) {
            begun = true
            // BEGIN, the context and the first statement travel together: one round trip.
            return toResult<Row>(await runPipeline(client, [begin, context, step(text, params)]))
          }
          return toResult<Row>(await runPipeline(client, [step(text, params)]))
        } finally {
          observeQuery(text, started)
        }
      },
    }
    let broken: Error | undefined
    try {
      const value = await fn(tx)
      finished = true
      if (begun) {
        const started = performance.now()
        await client.query('commit')
        observeQuery('commit', started)
      }
      return value
    } catch (error) {
      finished = true
      if (begun) await client.query('rollback').catch((rollbackError: Error) => (broken = rollbackError))
      if (isConnectionError(error)) broken = error as Error
      throw error
    } finally {
      client.release(broken)
    }
  }

  private contextStep(tenantId: string): Step {
    const { text, values } = contextStatement(tenantId, this.appRole, this.loggedInAsAppRole)
    return { name: statementName(text), text, values }
  }

  private createPool(connectionString: string, max: number): pg.Pool {
    const pool = new pg.Pool({ connectionString, max, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 10_000 })
    // A connection dropped by the server (restart, failover), idle or checked out, must not crash
    // the process: each client reports its errors for its whole life (one listener, attached
    // once, rather than one per checkout); the pool's own 'error' event repeats the idle ones.
    pool.on('connect', (client) => client.on('error', (error) => this.onPoolError(error)))
    pool.on('error', () => undefined)
    return pool
  }
}

const BEGIN: Step = { name: statementName('begin'), text: 'begin', values: [] }
const BEGIN_SNAPSHOT_SQL = 'begin isolation level repeatable read read only'
const BEGIN_SNAPSHOT: Step = { name: statementName(BEGIN_SNAPSHOT_SQL), text: BEGIN_SNAPSHOT_SQL, values: [] }

function step(text: string, values: readonly unknown[]): Step {
  return { name: statementName(text), text, values }
}

function toResult<Row>(result: { rows: unknown[]; rowCount: number | null }): QueryResult<Row> {
  return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length }
}

/** Errors without an SQLSTATE came from the socket, not the server: the connection is unusable. */
function isConnectionError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && !('code' in error && typeof (error as { code: unknown }).code === 'string' && /^[0-9A-Z]{5}$/.test((error as { code: string }).code))
}
