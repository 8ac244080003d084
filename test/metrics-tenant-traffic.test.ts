// tenant_requests_total's label choice (src/observability/tenant-traffic.ts): bounded series,
// counters that never go down in what is exported, no request lost, heavy hitters labelled.
import fc from 'fast-check'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { OTHER_TENANTS, TenantTraffic, tenantRequestsCounter } from '../src/observability/tenant-traffic.ts'

// Traffic in phases: a few hot tenants (the hot set moves, so labels are won, lost and won back)
// plus scattered requests from others; each phase ends with a scrape.
const phase = fc.record({
  hot: fc.uniqueArray(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 4 }),
  volume: fc.integer({ min: 1, max: 80 }),
  noise: fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 10 }),
})

describe('TenantTraffic', () => {
  it('keeps series bounded, exported counters monotonic, and every request counted', () => {
    let relabelled = 0
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 20 }), fc.array(phase, { maxLength: 30 }), (limit, retiredCapacity, phases) => {
        const traffic = new TenantTraffic({ limit, retiredCapacity, candidateCapacity: 6, rebalanceIntervalMs: 0 })
        const lastExported = new Map<string, number>()
        let previous = new Set<string>()
        let recorded = 0
        for (const { hot, volume, noise } of phases) {
          for (const tenant of hot) for (let i = 0; i < volume; i++) traffic.record(`t${tenant}`)
          for (const tenant of noise) traffic.record(`t${tenant}`)
          recorded += hot.length * volume + noise.length

          traffic.maybeRebalance()
          const snapshot = traffic.snapshot()
          expect(snapshot.size).toBeLessThanOrEqual(limit + 1)
          expect(snapshot.has(OTHER_TENANTS)).toBe(true)
          for (const [tenant, value] of snapshot) {
            if (!previous.has(tenant) && lastExported.has(tenant)) relabelled++
            // A series that left and came back resumes where it stopped, never lower.
            expect(value).toBeGreaterThanOrEqual(lastExported.get(tenant) ?? 0)
            lastExported.set(tenant, value)
          }
          previous = new Set(snapshot.keys())
          expect(traffic.recordedTotal()).toBe(recorded)
        }
      }),
      { numRuns: 300 },
    )
    // The runs did exercise the hard case: tenants losing their label and winning it back.
    expect(relabelled).toBeGreaterThan(0)
  })

  it('gives a label to a tenant that becomes busy, and counts it from then on', () => {
    const traffic = new TenantTraffic({ limit: 3, rebalanceIntervalMs: 0 })
    for (const tenant of ['a', 'b', 'c']) traffic.record(tenant) // first come, first labelled
    for (let i = 0; i < 500; i++) traffic.record('busy')
    expect(traffic.isLabelled('busy')).toBe(false)
    expect(traffic.snapshot().get(OTHER_TENANTS)).toBe(500)

    traffic.maybeRebalance()
    expect(traffic.isLabelled('busy')).toBe(true)
    expect(traffic.snapshot().size).toBe(4)
    traffic.record('busy')
    expect(traffic.snapshot().get('busy')).toBe(1) // its earlier requests stay in `other`
    expect(traffic.snapshot().get(OTHER_TENANTS)).toBe(500)
  })

  it('does not swap labels between tenants of similar traffic', () => {
    const traffic = new TenantTraffic({ limit: 2, rebalanceIntervalMs: 0 })
    for (let round = 0; round < 5; round++) {
      for (const tenant of ['a', 'b', 'c']) for (let i = 0; i < 50; i++) traffic.record(tenant)
      traffic.maybeRebalance()
    }
    expect([...traffic.snapshot().keys()].sort()).toEqual(['a', 'b', 'other'])
  })

  it('freezes labels once the memory of demoted tenants is full, rather than ever export less', () => {
    const traffic = new TenantTraffic({ limit: 1, retiredCapacity: 1, rebalanceIntervalMs: 0 })
    traffic.record('first')
    for (let i = 0; i < 100; i++) traffic.record('second')
    traffic.maybeRebalance()
    expect(traffic.isLabelled('second')).toBe(true) // 'first' is remembered (1 slot, now full)
    for (let i = 0; i < 1000; i++) traffic.record('third')
    traffic.maybeRebalance()
    expect(traffic.isLabelled('second')).toBe(true)
    expect(traffic.isLabelled('third')).toBe(false)
  })

  it('rebalances at most once per interval', () => {
    let now = 0
    const traffic = new TenantTraffic({ limit: 1, rebalanceIntervalMs: 60_000, now: () => now })
    traffic.record('a')
    for (let i = 0; i < 100; i++) traffic.record('b')
    traffic.maybeRebalance()
    expect(traffic.isLabelled('b')).toBe(false)
    now = 60_000
    traffic.maybeRebalance()
    expect(traffic.isLabelled('b')).toBe(true)
  })

  it('100,000 distinct tenants stay limit + 1 series in the exposition, counts intact', async () => {
    const registry = new Registry()
    const traffic = new TenantTraffic({ limit: 100, rebalanceIntervalMs: 0 })
    tenantRequestsCounter(() => traffic, registry)
    let scrapes = 0
    for (let i = 0; i < 100_000; i++) {
      traffic.record(`tenant-${i}`)
      if (i % 3 === 0) traffic.record('tenant-hot') // one heavy hitter among them
      if (i % 25_000 === 0) {
        await registry.metrics()
        scrapes++
      }
    }
    const text = await registry.metrics()
    const series = text.split('\n').filter((line) => line.startsWith('tenant_requests_total{'))
    expect(scrapes).toBe(4)
    expect(series.length).toBe(101)
    expect(series.some((line) => line.startsWith('tenant_requests_total{tenant="tenant-hot"}'))).toBe(true)
    const sum = series.reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0)
    expect(traffic.recordedTotal()).toBe(100_000 + 33_334)
    expect(sum).toBeLessThanOrEqual(traffic.recordedTotal())
  })
})
