// The events the bench queues: inventory.created with an item shaped like the API's (same fields,
// similar sizes), so bodies weigh what real ones do (about 600 bytes).
import type { DomainEventData } from '../../src/modules/events/event-catalog.ts'

export function benchItem(n: number, at = new Date()): DomainEventData<'inventory.created'>['item'] {
  const iso = at.toISOString()
  return {
    id: `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
    item_code: `BENCH-${n}`,
    name: `Bench item ${n}`,
    description: 'An item created by the webhook benchmark',
    quantity: 10,
    unit: 'each',
    location: `aisle-${n % 40}`,
    reorder_point: 5,
    unit_cost: '12.50',
    low_stock: false,
    created_at: iso,
    updated_at: iso,
  }
}

/** Epoch milliseconds with sub-millisecond resolution, comparable with the receiver's clock (same machine). */
export const now = (): number => performance.timeOrigin + performance.now()

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
