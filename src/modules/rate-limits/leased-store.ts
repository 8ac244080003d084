import { Sweeper, windowEndOf, windowIdOf, type Check, type Verdict } from './checks.ts'

/** One refill: take up to `want` of the window's `limit` from the shared counter. */
export interface LeaseRequest {
  check: Check
  windowId: number
  want: number
  /** How long the shared counter must live: to the window's end, plus slack for clock skew. */
  ttlMs: number
}

export interface LeaseGrant {
  granted: number
  /** The shared count after this grant (everything leased in the window, by every instance). */
  total: number
}

/** The shared counters (Redis): one call for any number of refills, all or nothing. */
export interface LeaseSource {
  lease(requests: LeaseRequest[]): Promise<LeaseGrant[]>
}

interface Pool {
  windowId: number
  endsAt: number
  /** The limit the tokens were leased under: another limit (a plan or settings change) discards them. */
  limit: number
  /** Tokens leased from the shared counter and not used yet. */
  tokens: number
  /** The shared count at the last refill, for RateLimit-Remaining. */
  total: number
  /** The shared counter had nothing left for this window: once the tokens here are spent, refuse without asking again. */
  exhausted: boolean
  /** A refill in flight; requests that find the pool empty wait for it before asking themselves. */
  pending: Promise<void> | undefined
}

// A refill leases a twentieth of the limit (at most 100): Redis sees one call per that many
// requests of a key, and an instance holds back at most that many tokens others could have used.
const LEASE_DIVISOR = 20
const MAX_LEASE = 100
// Shared counters outlive their window by this much, so an instance whose clock is a little
// behind still finds the count instead of starting a fresh one.
const TTL_SLACK_MS = 5_000

export const leaseSize = (limit: number): number => Math.max(1, Math.min(MAX_LEASE, Math.floor(limit / LEASE_DIVISOR)))

/**
 * The shared limiter: each instance leases small batches of tokens from the shared counter of
 * a window and spends them locally, so a request normally decides without a round trip, and
 * one that must refill makes exactly one call (all its empty checks in one script).
 * Across instances the total admitted never exceeds the limit; an instance may refuse while
 * another still holds unspent tokens (at most one lease each), the price of not asking Redis
 * on every request.
 */
export class LeasedWindowStore {
  private readonly pools = new Map<string, Pool>()
  private readonly sweeper = new Sweeper(this.pools)

  private readonly source: LeaseSource
  private readonly clock: () => number

  constructor(
    source: LeaseSource,
    clock: () => number = Date.now,
  ) {
    this.source = source
    this.clock = clock
  }

  /** Forgets every lease (after Redis came back: what was leased before belongs to another era). */
  reset(): void {
    this.pools.clear()
  }

  take(checks: readonly Check[]): Verdict | Promise<Verdict> {
    const now = this.clock()
    const pools = checks.map((check) => this.pool(check, now))
    const windows = pools.map((pool) => pool.windowId)
    const held = new Array<boolean>(checks.length).fill(false)
    let missing = 0
    for (let i = 0; i < checks.length; i++) {
      const pool = pools[i]!
      if (pool.tokens > 0) {
        pool.tokens -= 1
        held[i] = true
      } else if (pool.exhausted) return this.refuse(i, pools, windows, held, now)
      else missing += 1
    }
    if (missing === 0) return this.verdict(checks, pools, now)
    return this.refill(checks, pools, windows, held, now)
  }

  private async refill(checks: readonly Check[], pools: Pool[], windows: number[], held: boolean[], now: number): Promise<Verdict> {
    // First wait for refills other requests already started: they usually bring enough.
    const inFlight = pools.filter((pool, i) => !held[i] && pool.pending !== undefined).map((pool) => pool.pending)
    if (inFlight.length > 0) {
      await Promise.all(inFlight)
      for (let i = 0; i < checks.length; i++) {
        const pool = pools[i]!
        if (held[i] || pool.windowId !== windows[i]) continue
        if (pool.tokens > 0) {
          pool.tokens -= 1
          held[i] = true
        } else if (pool.exhausted) return this.refuse(i, pools, windows, held, now)
      }
      if (held.every(Boolean)) return this.verdict(checks, pools, now)
    }

    // Then one call for everything still missing; its answer decides for those checks.
    const wanted = checks.flatMap((check, i) => (held[i] ? [] : [i]))
    const requests = wanted.map((i) => {
      const check = checks[i]!
      return { check, windowId: windows[i]!, want: leaseSize(check.limit), ttlMs: windowEndOf(now, check.windowMs) - now + TTL_SLACK_MS }
    })
    const call = this.source.lease(requests)
    const settled = call.then(() => undefined, () => undefined)
    for (const i of wanted) pools[i]!.pending = settled
    let grants: LeaseGrant[]
    try {
      grants = await call
    } finally {
      for (const i of wanted) if (pools[i]!.pending === settled) pools[i]!.pending = undefined
    }
    let refused = -1
    wanted.forEach((i, n) => {
      const pool = pools[i]!
      const { granted, total } = grants[n]!
      const current = pool.windowId === requests[n]!.windowId
      if (current) pool.total = Math.max(pool.total, total)
      if (granted > 0) {
        held[i] = true
        if (current) pool.tokens += granted - 1
      } else {
        if (current) pool.exhausted = true
        if (refused < 0 || i < refused) refused = i
      }
    })
    if (refused >= 0) return this.refuse(refused, pools, windows, held, now)
    return this.verdict(checks, pools, now)
  }

  /** Gives back the tokens this request took (to pools still in the same window), and refuses it on check `index`. */
  private refuse(index: number, pools: Pool[], windows: number[], held: boolean[], now: number): Verdict {
    held.forEach((taken, i) => {
      if (taken && pools[i]!.windowId === windows[i]) pools[i]!.tokens += 1
    })
    const remaining = new Array<number>(pools.length).fill(0)
    return { refused: index, remaining, now }
  }

  private verdict(checks: readonly Check[], pools: Pool[], now: number): Verdict {
    const remaining = pools.map((pool, i) => Math.max(0, checks[i]!.limit - pool.total) + pool.tokens)
    return { refused: -1, remaining, now }
  }

  private pool(check: Check, now: number): Pool {
    const windowId = windowIdOf(now, check.windowMs)
    let pool = this.pools.get(check.key)
    if (pool === undefined) {
      pool = { windowId, endsAt: windowEndOf(now, check.windowMs), limit: check.limit, tokens: 0, total: 0, exhausted: false, pending: undefined }
      this.pools.set(check.key, pool)
      this.sweeper.afterInsert(now)
    } else if (pool.windowId !== windowId) {
      Object.assign(pool, { windowId, endsAt: windowEndOf(now, check.windowMs), limit: check.limit, tokens: 0, total: 0, exhausted: false, pending: undefined })
    } else if (pool.limit !== check.limit) {
      // The limit changed mid-window (a plan or override change, DESIGN §11): tokens leased under
      // the old one are not spent, and "exhausted" is asked again, so the next request is decided
      // by the shared counter against the new limit. The discarded tokens stay counted there:
      // lowering a limit may refuse up to one lease early per instance, never admit past it.
      Object.assign(pool, { limit: check.limit, tokens: 0, exhausted: false })
    }
    return pool
  }
}
