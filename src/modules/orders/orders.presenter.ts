// Rows → the public representation (the same one in API answers and in orders.* events).
import type { Static } from 'typebox'
import type { OrderData } from '../events/index.ts'
import type { OrderLineRow, OrderRow } from './orders.repository.ts'

export type OrderView = Static<typeof OrderData>

export function presentOrderSummary(order: OrderRow): Omit<OrderView, 'lines'> {
  return {
    id: order.id,
    order_number: order.order_number,
    customer_name: order.customer_name,
    customer_email: order.customer_email,
    status: order.status,
    notes: order.notes,
    total: order.total,
    created_at: order.created_at.toISOString(),
    updated_at: order.updated_at.toISOString(),
  }
}

export function presentOrder(order: OrderRow, lines: OrderLineRow[]): OrderView {
  return { ...presentOrderSummary(order), lines: lines.map((line) => ({ ...line })) }
}
