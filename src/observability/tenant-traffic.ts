import { Counter, type Registry } from 'prom-client'

export const OTHER_TENANTS = 'other'

export interface TenantTrafficOptions {
  /** Tenants labelled by id at most (METRICS_TENANT_LABEL_LIMIT); the rest count as `other`. */
  limit: number
  /** Misra–Gries counters kept for unlabelled tenants (candidates for a label). */
  candidateCapacity?: number
  /** Demoted tenants whose totals are remembered; when full, labels stop changing. */
  retiredCapacity?: number
  /** Labels are reconsidered at a scrape at most this often. */
  rebalanceIntervalMs?: number
  now?: () => number
}

interface Slot {
  /** Requests counted under this tenant's own label since it first got one (exported). */
  total: number
  /** Requests in the current rebalance period, halved at each rebalance (recent traffic). */
  recent: number
}

// A candidate takes a label only when its recent traffic is clearly above the coldest labelled
// tenant's (twice it, and at least this many requests): without this margin two tenants of
// similar traffic would swap labels at every scrape and churn series in Prometheus.
const PROMOTION_FACTOR = 2
const MIN_PROMOTION_REQUESTS = 10

/**
 * tenant_requests_total with a bounded number of series (DESIGN §12, decision D31): up to
 * `limit` tenants carry their own label, chosen by traffic; every other request is `other`.
 *
 * - Free labels go to tenants at first sight (a deployment with fewer tenants than the limit
 *   counts every tenant exactly from its first request).
 * - Once all labels are taken, unlabelled traffic feeds a Misra–Gries heavy-hitter summary
 *   (bounded memory, amortised O(1) per request); at a scrape, at most every
 *   rebalanceIntervalMs, candidates clearly hotter than the coldest labelled tenants take their
 *   labels.
 * - Exported counters never decrease: a tenant's series counts only the requests made while it
 *   is labelled, `other` only the rest, and a demoted tenant's total is remembered so its series
 *   resumes where it stopped if it is labelled again. Because that memory is bounded
 *   (retiredCapacity), labels freeze when it is full rather than ever exporting a smaller value.
 * So sum(rate(tenant_requests_total[5m])) is the instance's tenant request rate, exactly.
 */
export class TenantTraffic {
  readonly limit: number
  private readonly labelled = new Map<string, Slot>()
  private readonly retired = new Map<string, number>()
  private readonly candidates = new Map<string, number>()
  private other = 0
  private readonly candidateCapacity: number
  private readonly retiredCapacity: number
  private readonly rebalanceIntervalMs: number
  private readonly now: () => number
  private lastRebalance: number

  constructor(options: TenantTrafficOptions) {
    this.limit = options.limit
    this.candidateCapacity = options.candidateCapacity ?? Math.max(64, 4 * options.limit)
    this.retiredCapacity = options.retiredCapacity ?? Math.max(1000, 10 * options.limit)
    this.rebalanceIntervalMs = options.rebalanceIntervalMs ?? 60_000
    this.now = options.now ?? Date.now
    this.lastRebalance = this.now()
  }

  /** One request of the tenant. Constant work apart from the amortised summary decrement. */
  record(tenantId: string): void {
    const slot = this.labelled.get(tenantId)
    if (slot !== undefined) {
      slot.total += 1
      slot.recent += 1
      return
    }
    if (this.labelled.size < this.limit) {
      this.label(tenantId, 1).total += 1
      return
    }
    this.other += 1
    this.countCandidate(tenantId)
  }

  /** The exported values: labelled tenants and `other` (always present). */
  snapshot(): Map<string, number> {
    const values = new Map<string, number>()
    for (const [tenantId, slot] of this.labelled) values.set(tenantId, slot.total)
    values.set(OTHER_TENANTS, this.other)
    return values
  }

  /** Every request recorded, wherever it is counted now (tests check nothing is lost). */
  recordedTotal(): number {
    let sum = this.other
    for (const slot of this.labelled.values()) sum += slot.total
    for (const total of this.retired.values()) sum += total
    return sum
  }

  isLabelled(tenantId: string): boolean {
    return this.labelled.has(tenantId)
  }

  /** Called at scrape time; rebalances when the interval has passed. */
  maybeRebalance(): void {
    const now = this.now()
    if (now - this.lastRebalance < this.rebalanceIntervalMs) return
    this.lastRebalance = now
    this.rebalance()
  }

  /** Swaps cold labelled tenants for clearly hotter candidates, then ages recent traffic. */
  rebalance(): void {
    if (this.candidates.size > 0 && this.labelled.size > 0) {
      const coldest = [...this.labelled].sort((a, b) => a[1].recent - b[1].recent)
      const hottest = [...this.candidates].sort((a, b) => b[1] - a[1])
      for (let i = 0; i < hottest.length && i < coldest.length; i++) {
        const [candidate, estimate] = hottest[i]!
        const [cold, coldSlot] = coldest[i]!
        if (estimate < MIN_PROMOTION_REQUESTS || estimate < PROMOTION_FACTOR * coldSlot.recent) break
        if (this.retired.size >= this.retiredCapacity) break
        this.labelled.delete(cold)
        this.retired.set(cold, coldSlot.total)
        this.candidates.delete(candidate)
        this.label(candidate, estimate)
      }
    }
    // Halving keeps "recent" meaning roughly the last couple of periods.
    for (const slot of this.labelled.values()) slot.recent = Math.floor(slot.recent / 2)
    for (const [tenantId, count] of this.candidates) {
      if (count < 2) this.candidates.delete(tenantId)
      else this.candidates.set(tenantId, Math.floor(count / 2))
    }
  }

  private label(tenantId: string, recent: number): Slot {
    const slot = { total: this.retired.get(tenantId) ?? 0, recent }
    this.retired.delete(tenantId)
    this.labelled.set(tenantId, slot)
    return slot
  }

  /**
   * Misra–Gries: when the summary is full, a new tenant decrements every counter instead of
   * entering. Each decrement undoes an earlier increment, so the loop costs O(1) per request
   * amortised; any tenant above 1/(capacity+1) of the traffic is guaranteed to be in it.
   */
  private countCandidate(tenantId: string): void {
    const count = this.candidates.get(tenantId)
    if (count !== undefined) {
      this.candidates.set(tenantId, count + 1)
      return
    }
    if (this.candidates.size < this.candidateCapacity) {
      this.candidates.set(tenantId, 1)
      return
    }
    for (const [key, value] of this.candidates) {
      if (value <= 1) this.candidates.delete(key)
      else this.candidates.set(key, value - 1)
    }
  }
}

/** The counter family for a TenantTraffic, filled from it at each scrape. */
export function tenantRequestsCounter(traffic: () => TenantTraffic, registry: Registry): Counter<'tenant'> {
  return new Counter({
    name: 'tenant_requests_total',
    help: 'Tenant-scoped requests by tenant id; tenants beyond METRICS_TENANT_LABEL_LIMIT are counted as "other"',
    labelNames: ['tenant'] as const,
    registers: [registry],
    collect() {
      const source = traffic()
      source.maybeRebalance()
      this.reset()
      for (const [tenant, value] of source.snapshot()) this.inc({ tenant }, value)
    },
  })
}
