// Per-tenant response times of this instance, for the tenant health endpoint: a small ring of
// recent samples per tenant, in bounded memory however many tenants there are.

export interface LatencyTrackerOptions {
  /** Samples kept per tenant: p95 of 64 samples is about the 4th slowest. */
  samples?: number
  /** Only samples this recent count; older ones are ignored (and make their tenant evictable). */
  windowMs?: number
  /** Tenants tracked at once. 10,000 × 64 samples × 8 bytes ≈ 5 MiB plus the map's entries. */
  maxTenants?: number
}

export interface LatencySummary {
  /** Milliseconds, or null without a sample in the window. */
  p95: number | null
  samples: number
  window_s: number
}

const DEFAULTS = { samples: 64, windowMs: 5 * 60_000, maxTenants: 10_000 }
// How many of the oldest entries an insertion looks at before it evicts one anyway: bounded
// work per request, and a tenant seen within the window usually gets a second chance.
const EVICTION_PROBES = 8

class Ring {
  /** Duration in milliseconds. */
  readonly durations: Float32Array
  /** Seconds since the tracker started (signed: a clock step back stays in range). */
  readonly at: Int32Array
  next = 0
  count = 0
  lastAt = 0

  constructor(size: number) {
    this.durations = new Float32Array(size)
    this.at = new Int32Array(size)
  }
}

/**
 * Record is O(1) and allocation-free once a tenant is tracked. When the map is full, a new tenant
 * evicts the first stale entry among the oldest few (moving recently seen ones to the back), or
 * the oldest one: memory is maxTenants rings, whatever the number of tenants.
 */
export class LatencyTracker {
  private readonly rings = new Map<string, Ring>()
  private readonly size: number
  private readonly windowMs: number
  private readonly maxTenants: number
  private readonly origin = Date.now()

  constructor(options: LatencyTrackerOptions = {}) {
    this.size = options.samples ?? DEFAULTS.samples
    this.windowMs = options.windowMs ?? DEFAULTS.windowMs
    this.maxTenants = options.maxTenants ?? DEFAULTS.maxTenants
  }

  get trackedTenants(): number {
    return this.rings.size
  }

  record(tenantId: string, durationMs: number, now = Date.now()): void {
    let ring = this.rings.get(tenantId)
    if (ring === undefined) {
      if (this.rings.size >= this.maxTenants) this.evictOne(now)
      ring = new Ring(this.size)
      this.rings.set(tenantId, ring)
    }
    const second = Math.floor((now - this.origin) / 1000)
    ring.durations[ring.next] = durationMs
    ring.at[ring.next] = second
    ring.lastAt = second
    ring.next = ring.next + 1 === this.size ? 0 : ring.next + 1
    if (ring.count < this.size) ring.count += 1
  }

  summary(tenantId: string, now = Date.now()): LatencySummary {
    const window_s = Math.round(this.windowMs / 1000)
    const ring = this.rings.get(tenantId)
    if (ring === undefined) return { p95: null, samples: 0, window_s }
    const since = Math.floor((now - this.windowMs - this.origin) / 1000)
    const recent: number[] = []
    for (let i = 0; i < ring.count; i++) if (ring.at[i]! >= since) recent.push(ring.durations[i]!)
    if (recent.length === 0) return { p95: null, samples: 0, window_s }
    recent.sort((a, b) => a - b)
    const p95 = recent[Math.ceil(recent.length * 0.95) - 1]!
    return { p95: Math.round(p95 * 100) / 100, samples: recent.length, window_s }
  }

  private evictOne(now: number): void {
    const staleBefore = Math.floor((now - this.windowMs - this.origin) / 1000)
    for (let probe = 0; probe < EVICTION_PROBES; probe++) {
      const first = this.rings.entries().next()
      if (first.done) return
      const [tenantId, ring] = first.value
      this.rings.delete(tenantId)
      if (ring.lastAt < staleBefore) return
      this.rings.set(tenantId, ring) // seen within the window: to the back of the line
    }
    const oldest = this.rings.keys().next()
    if (!oldest.done) this.rings.delete(oldest.value)
  }
}
