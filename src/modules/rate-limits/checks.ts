// What the limiter counts: a request is admitted when every one of its checks is under its
// limit in the check's current window, and then counts once in each. Windows are fixed and
// aligned on the Unix epoch, so a one-day window ends exactly at UTC midnight.

export const MINUTE_MS = 60_000
export const DAY_MS = 86_400_000

export interface Check {
  /** Unique among all checks of the process: level and ids, e.g. `t:<tenant>` or `p:<tenant>:k:<key id>`. */
  key: string
  /** Redis hash tag: every key of one tenant lands in one cluster slot (one script call covers them). */
  tag: string
  limit: number
  windowMs: number
  /** `quota` refusals are 429 quota_exceeded (the daily request quota); `rate` ones are 429 rate_limited. */
  kind: 'rate' | 'quota'
}

/** A decision. `remaining[i]` is what check i has left after this request (0 for the refusing one). */
export interface Verdict {
  /** Index of the check that refused the request, or -1 when it was admitted. */
  refused: number
  remaining: number[]
  /** The clock reading the decision was taken at (reset times are computed from it). */
  now: number
}

export const windowIdOf = (now: number, windowMs: number): number => Math.floor(now / windowMs)

export const windowEndOf = (now: number, windowMs: number): number => (windowIdOf(now, windowMs) + 1) * windowMs

/** Whole seconds until the window containing `now` ends; at least 1 (Retry-After: 0 invites a hot loop). */
export const secondsToReset = (now: number, windowMs: number): number => Math.max(1, Math.ceil((windowEndOf(now, windowMs) - now) / 1000))

/**
 * Entries of windows that have ended are dropped when the map has doubled since the last sweep:
 * amortised O(1) per insert, however many tenants and callers are live.
 */
export class Sweeper<T extends { endsAt: number }> {
  private sweepAt: number

  private readonly entries: Map<string, T>
  private readonly floor: number

  constructor(
    entries: Map<string, T>,
    floor = 10_000,
  ) {
    this.entries = entries
    this.floor = floor
    this.sweepAt = floor
  }

  afterInsert(now: number): void {
    if (this.entries.size < this.sweepAt) return
    for (const [key, entry] of this.entries) if (entry.endsAt <= now) this.entries.delete(key)
    this.sweepAt = Math.max(this.floor, this.entries.size * 2)
  }
}
