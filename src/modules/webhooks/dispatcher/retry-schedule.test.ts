import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { nextRetry, parseRetryAfter, type RetryPolicy } from './retry-schedule.ts'

const policy: RetryPolicy = { delaysMs: [1000, 5000, 25000], maxRetries: 3, jitter: 0.1, retryAfterCapMs: 3_600_000 }

describe('nextRetry', () => {
  it('follows the schedule and stops after maxRetries', () => {
    const none = () => 0
    expect(nextRetry(policy, 1, undefined, none)).toEqual({ retry: true, delayMs: 1000 })
    expect(nextRetry(policy, 2, undefined, none)).toEqual({ retry: true, delayMs: 5000 })
    expect(nextRetry(policy, 3, undefined, none)).toEqual({ retry: true, delayMs: 25000 })
    expect(nextRetry(policy, 4, undefined, none)).toEqual({ retry: false })
  })

  it('repeats the last delay when retries outnumber the delays', () => {
    expect(nextRetry({ ...policy, maxRetries: 5 }, 5, undefined, () => 0)).toEqual({ retry: true, delayMs: 25000 })
  })

  it('never retries when maxRetries is 0', () => {
    expect(nextRetry({ ...policy, maxRetries: 0 }, 1, undefined)).toEqual({ retry: false })
  })

  it('jitter only delays, by at most the jitter fraction', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempts, r) => {
        const decision = nextRetry(policy, attempts, undefined, () => r)
        if (!decision.retry) return attempts === 4
        const base = policy.delaysMs[attempts - 1]!
        return decision.delayMs >= base && decision.delayMs <= base * 1.1
      }),
    )
  })

  it('honours Retry-After when it is longer, capped, and ignores it when shorter', () => {
    expect(nextRetry(policy, 1, 60_000, () => 0)).toEqual({ retry: true, delayMs: 60_000 })
    expect(nextRetry(policy, 1, 10, () => 0)).toEqual({ retry: true, delayMs: 1000 })
    expect(nextRetry(policy, 1, 999_999_999, () => 0)).toEqual({ retry: true, delayMs: 3_600_000 })
  })
})

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('120')).toBe(120_000)
    const now = Date.parse('2026-11-29T12:00:00Z')
    expect(parseRetryAfter('Sun, 29 Nov 2026 12:00:30 GMT', now)).toBe(30_000)
    expect(parseRetryAfter('Sun, 29 Nov 2026 11:00:00 GMT', now)).toBe(0)
  })

  it('ignores what it cannot read', () => {
    for (const value of [undefined, '', 'soon', '-5', '1.5', '12abc']) expect(parseRetryAfter(value)).toBeUndefined()
  })
})
