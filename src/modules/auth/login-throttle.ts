import type { Redis } from 'ioredis'

/**
 * Failed-login limits. Three counters, so that an attacker cannot lock a victim out for long:
 * - account + IP: 5 failures in 15 min lock that pair for 15 min (the attacker's own IP);
 * - IP: 30 failures in 15 min lock the IP for 15 min (one source spraying many accounts);
 * - account: 50 failures in 15 min lock the account for 5 min, from everywhere (a distributed
 *   attack on one account; short, so a victim waits minutes, not hours).
 * Counters live in Redis when present (shared by instances), else in process; a Redis outage
 * falls back to the local counters.
 */
const RULES = [
  { name: 'pair', limit: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 },
  { name: 'ip', limit: 30, windowMs: 15 * 60_000, lockMs: 15 * 60_000 },
  { name: 'account', limit: 50, windowMs: 15 * 60_000, lockMs: 5 * 60_000 },
] as const

type RuleName = (typeof RULES)[number]['name']

export interface ThrottleStore {
  /** Adds one failure; returns the count in the current window. */
  increment(key: string, windowMs: number): Promise<number>
  /** Milliseconds left on a lock, or 0. */
  lockedFor(key: string): Promise<number>
  lock(key: string, ms: number): Promise<void>
  reset(key: string): Promise<void>
}

export class LoginThrottle {
  private readonly store: ThrottleStore

  constructor(store: ThrottleStore) {
    this.store = store
  }

  /** Seconds to wait before trying again, or 0 when a login may be attempted. */
  async retryAfter(email: string, ip: string): Promise<number> {
    const waits = await Promise.all(RULES.map((rule) => this.store.lockedFor(`lock:${keyOf(rule.name, email, ip)}`)))
    return Math.ceil(Math.max(0, ...waits) / 1000)
  }

  /** Counts a failure; returns the rules this failure locked (for the security log), usually none. */
  async recordFailure(email: string, ip: string): Promise<RuleName[]> {
    const locked: RuleName[] = []
    for (const rule of RULES) {
      const key = keyOf(rule.name, email, ip)
      const count = await this.store.increment(`count:${key}`, rule.windowMs)
      if (count >= rule.limit) {
        locked.push(rule.name)
        await this.store.lock(`lock:${key}`, rule.lockMs)
        // A fresh count after each lock: otherwise one failure per lock period would keep a
        // victim's account locked for as long as the window lasts.
        await this.store.reset(`count:${key}`)
      }
    }
    return locked
  }

  /** A success clears the pair's counter (not the IP's or the account's: those track attacks). */
  async recordSuccess(email: string, ip: string): Promise<void> {
    await this.store.reset(`count:${keyOf('pair', email, ip)}`)
  }
}

function keyOf(rule: RuleName, email: string, ip: string): string {
  if (rule === 'pair') return `pair:${email}:${ip}`
  return rule === 'ip' ? `ip:${ip}` : `account:${email}`
}

export class MemoryThrottleStore implements ThrottleStore {
  private readonly counters = new Map<string, { count: number; resetAt: number }>()
  private readonly locks = new Map<string, number>()

  async increment(key: string, windowMs: number): Promise<number> {
    const now = Date.now()
    const entry = this.counters.get(key)
    if (!entry || entry.resetAt <= now) {
      if (this.counters.size > 100_000) this.sweep(now)
      this.counters.set(key, { count: 1, resetAt: now + windowMs })
      return 1
    }
    entry.count += 1
    return entry.count
  }

  async lockedFor(key: string): Promise<number> {
    const until = this.locks.get(key)
    return until ? Math.max(0, until - Date.now()) : 0
  }

  async lock(key: string, ms: number): Promise<void> {
    this.locks.set(key, Date.now() + ms)
  }

  async reset(key: string): Promise<void> {
    this.counters.delete(key)
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.counters) if (entry.resetAt <= now) this.counters.delete(key)
    for (const [key, until] of this.locks) if (until <= now) this.locks.delete(key)
  }
}

export class RedisThrottleStore implements ThrottleStore {
  private readonly redis: Redis
  private readonly fallback: MemoryThrottleStore

  constructor(
    redis: Redis,
    fallback = new MemoryThrottleStore(),
  ) {
    this.redis = redis
    this.fallback = fallback
  }

  increment(key: string, windowMs: number): Promise<number> {
    return this.or(async () => {
      const [[, count]] = (await this.redis.multi().incr(`tenantry:login:${key}`).pexpire(`tenantry:login:${key}`, windowMs, 'NX').exec()) as [[unknown, number]]
      return count
    }, () => this.fallback.increment(key, windowMs))
  }

  lockedFor(key: string): Promise<number> {
    return this.or(async () => Math.max(0, await this.redis.pttl(`tenantry:login:${key}`)), () => this.fallback.lockedFor(key))
  }

  lock(key: string, ms: number): Promise<void> {
    return this.or(async () => void (await this.redis.set(`tenantry:login:${key}`, '1', 'PX', ms)), () => this.fallback.lock(key, ms))
  }

  reset(key: string): Promise<void> {
    return this.or(async () => void (await this.redis.del(`tenantry:login:${key}`)), () => this.fallback.reset(key))
  }

  private async or<T>(primary: () => Promise<T>, fallback: () => Promise<T>): Promise<T> {
    try {
      return await primary()
    } catch {
      return fallback()
    }
  }
}
