// The per-tenant latency structure behind the health endpoint's p95: right numbers, bounded memory.
import { describe, expect, it } from 'vitest'
import { LatencyTracker } from '../src/modules/usage/index.ts'

describe('LatencyTracker', () => {
  it('gives the p95 of the recent samples, and null without any', () => {
    const tracker = new LatencyTracker({ samples: 100 })
    const now = Date.now()
    expect(tracker.summary('a', now)).toMatchObject({ p95: null, samples: 0 })
    for (let ms = 1; ms <= 100; ms++) tracker.record('a', ms, now)
    expect(tracker.summary('a', now)).toMatchObject({ p95: 95, samples: 100 })
  })

  it('keeps only the last `samples` durations of a tenant', () => {
    const tracker = new LatencyTracker({ samples: 10 })
    const now = Date.now()
    for (let i = 0; i < 50; i++) tracker.record('a', 1000, now)
    for (let i = 0; i < 10; i++) tracker.record('a', 5, now)
    expect(tracker.summary('a', now)).toMatchObject({ p95: 5, samples: 10 })
  })

  it('ignores samples older than the window', () => {
    const tracker = new LatencyTracker({ windowMs: 60_000 })
    const now = Date.now()
    tracker.record('a', 900, now - 5 * 60_000)
    tracker.record('a', 10, now)
    expect(tracker.summary('a', now)).toMatchObject({ p95: 10, samples: 1, window_s: 60 })
    expect(tracker.summary('a', now + 2 * 60_000)).toMatchObject({ p95: null, samples: 0 })
  })

  it('tracks at most maxTenants, evicting a stale tenant before a recently seen one', () => {
    const tracker = new LatencyTracker({ maxTenants: 100, windowMs: 60_000 })
    const now = Date.now()
    tracker.record('stale', 10, now - 10 * 60_000)
    for (let i = 0; i < 99; i++) tracker.record(`busy-${i}`, 10, now)
    for (let i = 0; i < 100_000; i++) tracker.record(`t-${i}`, 10, now)
    expect(tracker.trackedTenants).toBe(100)
    // The newest tenants are there; the stale one went first.
    expect(tracker.summary('t-99999', now).samples).toBe(1)
    expect(tracker.summary('stale', now).samples).toBe(0)
  })
})
