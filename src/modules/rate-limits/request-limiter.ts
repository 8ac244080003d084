import type { Redis } from 'ioredis'
import type { Check, Verdict } from './checks.ts'
import { LeasedWindowStore } from './leased-store.ts'
import { MemoryWindowStore } from './memory-store.ts'
import { RedisLeaseSource } from './redis-lease-source.ts'

export interface LimiterLog {
  warn(object: object, message: string): void
  info(object: object, message: string): void
}

// After a Redis failure, try Redis again at most this often (and only once the client says it
// is connected): a Redis that answers with errors costs one failed call per second, not one per request.
const RETRY_INTERVAL_MS = 1_000

/**
 * Decides requests against their checks: on shared Redis counters when Redis is there and
 * answering, in process otherwise. Redis failing degrades, never fails, requests: the request
 * that saw the failure and every one after it are decided in process, with one warning per
 * outage; once the client is connected again the shared counters take over (fresh leases).
 */
export class RequestLimiter {
  /** Set by the plugin to the app's logger when the services were built without one. */
  logger: LimiterLog | undefined
  private readonly redis: Redis | undefined
  private readonly clock: () => number
  private readonly memory: MemoryWindowStore
  private readonly shared: LeasedWindowStore | undefined
  private onRedis: boolean
  private degraded = false
  private retryAt = 0

  constructor(options: { redis?: Redis; logger?: LimiterLog; clock?: () => number }) {
    this.clock = options.clock ?? Date.now
    this.logger = options.logger
    this.redis = options.redis
    this.memory = new MemoryWindowStore(this.clock)
    this.shared = options.redis ? new LeasedWindowStore(new RedisLeaseSource(options.redis), this.clock) : undefined
    // Not connected yet at start: decide in process until it is (no warning: nothing failed).
    this.onRedis = options.redis?.status === 'ready'
  }

  /** Whether decisions currently use the shared counters (health checks and tests read it). */
  get usingRedis(): boolean {
    return this.onRedis
  }

  take(checks: readonly Check[]): Verdict | Promise<Verdict> {
    if (!this.onRedis) {
      if (this.shared === undefined || !this.mayRetry()) return this.memory.take(checks)
      this.onRedis = true
      this.shared.reset()
    }
    let result: Verdict | Promise<Verdict>
    try {
      result = this.shared!.take(checks)
    } catch (error) {
      return this.fallBack(error, checks)
    }
    if (!(result instanceof Promise)) return result
    return result.then(
      (verdict) => {
        if (this.degraded) this.recovered()
        return verdict
      },
      (error: unknown) => this.fallBack(error, checks),
    )
  }

  private mayRetry(): boolean {
    return this.redis?.status === 'ready' && this.clock() >= this.retryAt
  }

  private fallBack(error: unknown, checks: readonly Check[]): Verdict {
    this.onRedis = false
    this.retryAt = this.clock() + RETRY_INTERVAL_MS
    if (!this.degraded) {
      this.degraded = true
      this.logger?.warn({ err: { message: error instanceof Error ? error.message : String(error) } }, 'rate limiter: redis unavailable, limiting in process until it is back')
    }
    return this.memory.take(checks)
  }

  private recovered(): void {
    this.degraded = false
    this.logger?.info({}, 'rate limiter: redis is back, limits are shared again')
  }
}
