// Properties of the limiters, on a simulated clock:
// - the in-process limiter admits a request exactly when every check is under its limit in its
//   current window (so it never admits more than the limit per window and never refuses under
//   it), and a refused request counts nowhere;
// - the leased (Redis-style) limiter, with several instances sharing one set of counters and
//   requests in flight concurrently, never admits more than the limit per window in total, and
//   with a single instance refuses only once the limit is really used.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LeasedWindowStore, MemoryWindowStore, type Check, type LeaseGrant, type LeaseRequest, type LeaseSource } from '../src/modules/rate-limits/index.ts'

const checkArb = (key: string) =>
  fc.record({
    key: fc.constant(key),
    tag: fc.constant('t'),
    limit: fc.integer({ min: 0, max: 6 }),
    windowMs: fc.constantFrom(1_000, 5_000, 60_000),
    kind: fc.constant('rate' as const),
  })

// Two checks shared by every caller (like the daily quota and the tenant's rate) and one per caller.
interface Setup {
  shared: [Check, Check]
  perCaller: Check[]
}
const setupArb: fc.Arbitrary<Setup> = fc.record({
  shared: fc.tuple(checkArb('day'), checkArb('tenant')),
  perCaller: fc.array(checkArb('caller'), { minLength: 3, maxLength: 3 }),
})

type Step = { kind: 'advance'; ms: number } | { kind: 'request'; caller: number; instance: number; burst: number }
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 7_000 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('request' as const), caller: fc.integer({ min: 0, max: 2 }), instance: fc.integer({ min: 0, max: 2 }), burst: fc.integer({ min: 1, max: 4 }) }) },
)

function checksOf(setup: Setup, caller: number): Check[] {
  const own = { ...setup.perCaller[caller]!, key: `caller:${caller}` }
  return [setup.shared[0], own, setup.shared[1]]
}

const windowKey = (check: Check, now: number) => `${check.key}@${Math.floor(now / check.windowMs)}`

describe('in-process limiter', () => {
  it('admits exactly the requests under every limit of their window, and counts refused ones nowhere', () => {
    fc.assert(
      fc.property(setupArb, fc.array(stepArb, { maxLength: 80 }), (setup, steps) => {
        let now = 1_700_000_000_000
        const store = new MemoryWindowStore(() => now)
        const model = new Map<string, number>()
        for (const step of steps) {
          if (step.kind === 'advance') {
            now += step.ms
            continue
          }
          for (let n = 0; n < step.burst; n++) {
            const checks = checksOf(setup, step.caller)
            const verdict = store.take(checks)
            const counts = checks.map((check) => model.get(windowKey(check, now)) ?? 0)
            const firstFull = checks.findIndex((check, i) => counts[i]! >= check.limit)
            expect(verdict.refused).toBe(firstFull)
            if (firstFull >= 0) continue
            checks.forEach((check, i) => model.set(windowKey(check, now), counts[i]! + 1))
            expect(verdict.remaining).toEqual(checks.map((check, i) => check.limit - counts[i]! - 1))
          }
        }
        for (const [key, count] of model) {
          const limit = [...setup.shared, ...setup.perCaller.map((check, i) => ({ ...check, key: `caller:${i}` }))].find((check) => key.startsWith(`${check.key}@`))!.limit
          expect(count).toBeLessThanOrEqual(limit)
        }
      }),
      { numRuns: 300 },
    )
  })
})

/** The Lua script's rules in memory: grant min(want, limit - used), never count past the limit. */
class SharedCounters implements LeaseSource {
  readonly used = new Map<string, number>()
  calls = 0

  async lease(requests: LeaseRequest[]): Promise<LeaseGrant[]> {
    this.calls += 1
    await new Promise((resolve) => setImmediate(resolve))
    return requests.map((request) => {
      const key = `${request.check.key}@${request.windowId}`
      const used = this.used.get(key) ?? 0
      const granted = Math.max(0, Math.min(request.want, request.check.limit - used))
      this.used.set(key, used + granted)
      return { granted, total: used + granted }
    })
  }
}

describe('leased limiter', () => {
  const runSteps = async (setup: Setup, steps: Step[], instances: number) => {
    let now = 1_700_000_000_000
    const source = new SharedCounters()
    const stores = Array.from({ length: instances }, () => new LeasedWindowStore(source, () => now))
    const admitted = new Map<string, number>()
    const refusedUnder: string[] = []
    for (const step of steps) {
      if (step.kind === 'advance') {
        now += step.ms
        continue
      }
      // A burst is in flight at once: refills coalesce or race, as under real load.
      const checks = checksOf(setup, step.caller)
      const store = stores[step.instance % instances]!
      const verdicts = await Promise.all(Array.from({ length: step.burst }, () => store.take(checks)))
      for (const verdict of verdicts) {
        if (verdict.refused < 0) {
          for (const check of checks) admitted.set(windowKey(check, now), (admitted.get(windowKey(check, now)) ?? 0) + 1)
        } else if (checks.every((check) => (admitted.get(windowKey(check, now)) ?? 0) < check.limit)) {
          // Refused although no check of the request is full.
          refusedUnder.push(windowKey(checks[verdict.refused]!, now))
        }
      }
    }
    const limits = new Map([...setup.shared, ...setup.perCaller.map((check, i) => ({ ...check, key: `caller:${i}` }))].map((check) => [check.key, check.limit]))
    for (const [key, count] of admitted) expect(count).toBeLessThanOrEqual(limits.get(key.split('@')[0]!)!)
    return { refusedUnder, source }
  }

  it('never admits more than the limit per window across instances sharing the counters', async () => {
    await fc.assert(
      fc.asyncProperty(setupArb, fc.array(stepArb, { maxLength: 60 }), async (setup, steps) => {
        await runSteps(setup, steps, 3)
      }),
      { numRuns: 150 },
    )
  })

  it('with one instance, refuses only when the limit is used up', async () => {
    await fc.assert(
      fc.asyncProperty(setupArb, fc.array(stepArb, { maxLength: 60 }), async (setup, steps) => {
        const { refusedUnder } = await runSteps(setup, steps, 1)
        expect(refusedUnder).toEqual([])
      }),
      { numRuns: 150 },
    )
  })
})
