// Usage counting without a database write per request (DESIGN §11): counts are added up in this
// process per tenant and UTC day, and written to usage_daily every USAGE_FLUSH_INTERVAL_MS (and
// at shutdown) as additive upserts, one single-statement transaction per tenant and day.
import type { Logger } from '../../observability/logger.ts'
import { LatencyTracker } from './latency-tracker.ts'

/** What callers count; `client_errors` (4xx) is counted by the request hook itself. */
export type CountKind = 'requests' | 'errors' | 'webhook_deliveries'

export interface UsageCounts {
  requests: number
  errors: number
  client_errors: number
  webhook_deliveries: number
}

/** Adds counts to the tenant's row of `day` (YYYY-MM-DD, UTC). Throws to keep them for the next flush. */
export type UsageWriter = (tenantId: string, day: string, counts: UsageCounts) => Promise<void>

export interface FlushResult {
  written: number
  /** Tenant-days kept in memory for the next flush. */
  kept: number
  /** Tenant-days dropped because the write can never succeed (the tenant was purged). */
  dropped: number
}

export interface UsageMeterOptions {
  write: UsageWriter
  flushIntervalMs: number
  logger?: Logger
  latency?: LatencyTracker
  /** Tenant-days written at once during a flush (each is one round trip). */
  concurrency?: number
}

type DayCounts = Map<string, UsageCounts>

export const zeroCounts = (): UsageCounts => ({ requests: 0, errors: 0, client_errors: 0, webhook_deliveries: 0 })

/**
 * The in-memory meter. `count` and `observe` are O(1) and do no I/O: a map lookup and an add. A
 * flush swaps the maps out first, so counting never waits for it; a tenant-day whose write fails
 * goes back in and is retried with the next flush, unless the failure is permanent (the tenant
 * no longer exists).
 */
export class UsageMeter {
  readonly latency: LatencyTracker
  private logger: Logger | undefined
  private buckets = new Map<string, DayCounts>()
  private current: DayCounts = new Map()
  private day = ''
  private dayEndsAt = 0
  /** Counts being written right now: still "this instance's unflushed counts" for readers. */
  private inflight: Map<string, DayCounts> | undefined
  private flushing: Promise<FlushResult> | undefined
  private timer: NodeJS.Timeout | undefined
  private readonly concurrency: number

  private readonly options: UsageMeterOptions

  constructor(options: UsageMeterOptions) {
    this.options = options
    this.latency = options.latency ?? new LatencyTracker()
    this.logger = options.logger
    this.concurrency = options.concurrency ?? 4
    this.rollDay(Date.now())
  }

  /** Adds n to a tenant's count of today (UTC). Safe on the request hot path. */
  count(tenantId: string, kind: CountKind, n = 1): void {
    const now = Date.now()
    if (now >= this.dayEndsAt) this.rollDay(now)
    this.countsOf(tenantId)[kind] += n
  }

  /** One tenant-scoped response: a request, an error when status >= 500 (a client error when >= 400), its duration. */
  observe(tenantId: string, statusCode: number, durationMs: number): void {
    const now = Date.now()
    if (now >= this.dayEndsAt) this.rollDay(now)
    const counts = this.countsOf(tenantId)
    counts.requests += 1
    if (statusCode >= 500) counts.errors += 1
    else if (statusCode >= 400) counts.client_errors += 1
    this.latency.record(tenantId, durationMs, now)
  }

  /** This instance's counts not yet in usage_daily for a tenant, by day (YYYY-MM-DD). */
  unflushed(tenantId: string): Map<string, UsageCounts> {
    const result = new Map<string, UsageCounts>()
    for (const source of [this.buckets, this.inflight]) {
      if (!source) continue
      for (const [day, tenants] of source) {
        const counts = tenants.get(tenantId)
        if (counts) result.set(day, addCounts(result.get(day) ?? zeroCounts(), counts))
      }
    }
    return result
  }

  /** Starts the periodic flush (the timer does not keep the process alive). */
  start(logger?: Logger): void {
    if (logger) this.logger = logger
    if (this.timer) return
    this.timer = setInterval(() => {
      void this.flush().catch((error: unknown) => this.logger?.error({ err: error }, 'usage flush failed'))
    }, this.options.flushIntervalMs)
    this.timer.unref()
  }

  /** Stops the timer and flushes what is left (shutdown). */
  async stop(): Promise<FlushResult> {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    return this.flush()
  }

  /** Writes every pending count. Concurrent callers share a running flush, then flush again. */
  async flush(): Promise<FlushResult> {
    while (this.flushing) await this.flushing.catch(() => undefined)
    this.flushing = this.flushOnce()
    try {
      return await this.flushing
    } finally {
      this.flushing = undefined
    }
  }

  private async flushOnce(): Promise<FlushResult> {
    const batch = this.buckets
    this.buckets = new Map()
    this.current = new Map()
    this.buckets.set(this.day, this.current)
    this.inflight = batch
    const work: [string, string, UsageCounts][] = []
    for (const [day, tenants] of batch) for (const [tenantId, counts] of tenants) work.push([tenantId, day, counts])
    const result: FlushResult = { written: 0, kept: 0, dropped: 0 }
    let next = 0
    const worker = async () => {
      while (next < work.length) {
        const [tenantId, day, counts] = work[next++]!
        try {
          await this.options.write(tenantId, day, counts)
          result.written += 1
        } catch (error) {
          if (isPermanent(error)) {
            result.dropped += 1
            this.logger?.warn({ err: error, tenant_id: tenantId, day, counts }, 'usage counts dropped: the tenant no longer exists or the id is invalid')
          } else {
            result.kept += 1
            this.keep(tenantId, day, counts)
          }
        }
        // Written or kept again: no longer in flight either way.
        batch.get(day)?.delete(tenantId)
      }
    }
    try {
      await Promise.all(Array.from({ length: Math.min(this.concurrency, work.length) }, worker))
    } finally {
      this.inflight = undefined
    }
    if (result.kept > 0) this.logger?.warn({ kept: result.kept, written: result.written }, 'usage flush incomplete; the rest is retried with the next flush')
    return result
  }

  private keep(tenantId: string, day: string, counts: UsageCounts): void {
    let tenants = this.buckets.get(day)
    if (!tenants) this.buckets.set(day, (tenants = new Map()))
    tenants.set(tenantId, addCounts(tenants.get(tenantId) ?? zeroCounts(), counts))
  }

  private countsOf(tenantId: string): UsageCounts {
    let counts = this.current.get(tenantId)
    if (counts === undefined) {
      counts = zeroCounts()
      this.current.set(tenantId, counts)
    }
    return counts
  }

  /** A new UTC day: counting moves to a new map; the old day's stays until it is flushed. */
  private rollDay(now: number): void {
    const date = new Date(now)
    this.day = date.toISOString().slice(0, 10)
    this.dayEndsAt = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1)
    let tenants = this.buckets.get(this.day)
    if (!tenants) this.buckets.set(this.day, (tenants = new Map()))
    this.current = tenants
  }
}

export function addCounts(into: UsageCounts, more: UsageCounts): UsageCounts {
  into.requests += more.requests
  into.errors += more.errors
  into.client_errors += more.client_errors
  into.webhook_deliveries += more.webhook_deliveries
  return into
}

/**
 * Retrying cannot help: a foreign-key violation (the tenant was purged) or a tenant id that is no
 * uuid (refused before any SQL with a TypeError).
 */
function isPermanent(error: unknown): boolean {
  if (error instanceof TypeError) return true
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23503'
}
