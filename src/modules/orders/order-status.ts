// The order lifecycle: which status may follow which. Anything not listed is refused (409).
import { AppError } from '../../errors/index.ts'
import type { Static } from 'typebox'
import type { OrderStatus as OrderStatusSchema } from '../events/index.ts'

export type OrderStatus = Static<typeof OrderStatusSchema>

export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending: ['confirmed', 'cancelled'],
  confirmed: ['shipped', 'cancelled'],
  shipped: ['delivered'],
  delivered: [],
  cancelled: [],
}

/** Statuses whose stock is still taken: cancelling or deleting such an order gives it back. */
export const HOLDS_STOCK: ReadonlySet<OrderStatus> = new Set(['pending', 'confirmed'])

/** Only orders that never left the warehouse may be deleted; the rest are history. */
export const DELETABLE: ReadonlySet<OrderStatus> = new Set(['pending', 'cancelled'])

export function assertTransition(from: OrderStatus, to: OrderStatus): void {
  const allowed = ORDER_TRANSITIONS[from]
  if (!allowed.includes(to)) {
    const next = allowed.length > 0 ? `it can become ${allowed.join(' or ')}` : 'it is final'
    throw new AppError('conflict', `a ${from} order cannot become ${to}: ${next}`, { from, to, allowed })
  }
}
