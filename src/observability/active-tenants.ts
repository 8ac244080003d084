// active_tenants: distinct tenants that made at least one tenant-scoped request to THIS instance
// in the last ACTIVE_WINDOW_MS (decision D31). Per instance, so behind a load balancer the
// fleet-wide figure is not a sum (a tenant served by two instances counts on both); it answers
// "how many tenants is this instance serving right now", cheaply: one Map.set per request.
export const ACTIVE_WINDOW_MS = 5 * 60_000

export class ActiveTenants {
  private readonly lastSeen = new Map<string, number>()
  private lastSweep: number

  private readonly windowMs: number
  private readonly now: () => number

  constructor(
    windowMs = ACTIVE_WINDOW_MS,
    now: () => number = Date.now,
  ) {
    this.windowMs = windowMs
    this.now = now
    this.lastSweep = now()
  }

  record(tenantId: string, at: number = this.now()): void {
    this.lastSeen.set(tenantId, at)
    // Without scrapes the map would keep every tenant ever seen: sweep once per window.
    if (at - this.lastSweep > this.windowMs) this.sweep(at)
  }

  /** Tenants seen within the window; forgets older ones. */
  count(): number {
    this.sweep(this.now())
    return this.lastSeen.size
  }

  private sweep(now: number): void {
    this.lastSweep = now
    const cutoff = now - this.windowMs
    for (const [tenantId, at] of this.lastSeen) if (at < cutoff) this.lastSeen.delete(tenantId)
  }
}
