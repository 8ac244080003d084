import { Sweeper, windowEndOf, windowIdOf, type Check, type Verdict } from './checks.ts'

interface Slot {
  windowId: number
  endsAt: number
  count: number
}

/**
 * The in-process limiter: exact fixed-window counters, decided synchronously. Used without
 * Redis, and as the fallback while Redis is unreachable (then each instance limits on its own).
 * A request refused by one check does not count in the others (the counts taken so far are
 * given back), so a caller hammering past its own limit never uses up the tenant's.
 */
export class MemoryWindowStore {
  private readonly slots = new Map<string, Slot>()
  private readonly sweeper = new Sweeper(this.slots)

  private readonly clock: () => number

  constructor(clock: () => number = Date.now) {
    this.clock = clock
  }

  take(checks: readonly Check[]): Verdict {
    const now = this.clock()
    const remaining = new Array<number>(checks.length).fill(0)
    const taken: Slot[] = []
    for (let i = 0; i < checks.length; i++) {
      const check = checks[i]!
      const slot = this.slot(check, now)
      if (slot.count >= check.limit) {
        for (const earlier of taken) earlier.count -= 1
        return { refused: i, remaining, now }
      }
      slot.count += 1
      taken.push(slot)
      remaining[i] = check.limit - slot.count
    }
    return { refused: -1, remaining, now }
  }

  private slot(check: Check, now: number): Slot {
    const windowId = windowIdOf(now, check.windowMs)
    let slot = this.slots.get(check.key)
    if (slot === undefined) {
      slot = { windowId, endsAt: windowEndOf(now, check.windowMs), count: 0 }
      this.slots.set(check.key, slot)
      this.sweeper.afterInsert(now)
    } else if (slot.windowId !== windowId) {
      slot.windowId = windowId
      slot.endsAt = windowEndOf(now, check.windowMs)
      slot.count = 0
    }
    return slot
  }
}
