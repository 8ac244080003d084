import { withTenant, withTenantStatement, type Database, type TenantTx } from '../../db/index.ts'
import { AppError, notFound } from '../../errors/index.ts'
import { decodeCursor, page } from '../../http/pagination.ts'
import { recordAudit } from '../audit/index.ts'
import { emitDomainEvent } from '../events/index.ts'
import { releaseStock, reserveStock } from '../inventory/index.ts'
import { newOrderNumber } from './order-number.ts'
import { assertTransition, DELETABLE, HOLDS_STOCK, type OrderStatus } from './order-status.ts'
import { presentOrder } from './orders.presenter.ts'
import * as repository from './orders.repository.ts'
import type { OrderFilters, OrderLineRow, OrderRow } from './orders.repository.ts'

export interface OrderWithLines {
  order: OrderRow
  lines: OrderLineRow[]
}

export interface CreateOrderInput {
  order_number?: string
  customer_name?: string
  customer_email?: string
  notes?: string
  lines: { item_id: string; quantity: number; unit_price?: number }[]
}

/**
 * Orders of the tenant in context. Stock moves with the order in one transaction: placing an
 * order takes its stock (409 when short, and then nothing changes), cancelling gives it back.
 */
export class OrdersService {
  private readonly db: Database

  constructor(db: Database) {
    this.db = db
  }

  async list(options: OrderFilters & { limit?: number; cursor?: string }): Promise<{ data: OrderRow[]; next_cursor: string | null }> {
    const limit = options.limit ?? 50
    const before = decodeCursor(options.cursor)
    const rows = await withTenantStatement(this.db, (tx) => repository.listOrders(tx, { ...options, limit: limit + 1, before }))
    return page(rows, limit)
  }

  get(id: string): Promise<OrderWithLines> {
    return withTenant(this.db, async (tx) => {
      const order = await repository.findOrder(tx, id)
      if (!order) throw notFound('order', id)
      return { order, lines: await repository.listLines(tx, id) }
    })
  }

  create(input: CreateOrderInput): Promise<OrderWithLines> {
    return withTenant(this.db, async (tx) => {
      // The row comes first so the ledger rows of the reservation can name the order.
      const draft = await repository.insertOrder(tx, { ...input, order_number: input.order_number ?? newOrderNumber() })
      const wanted = input.lines.map((line) => ({ itemId: line.item_id, quantity: line.quantity }))
      const items = await reserveStock(tx, wanted, { id: draft.id, number: draft.order_number })
      const lines = input.lines.map((line) => ({
        itemId: line.item_id,
        quantity: line.quantity,
        unitPrice: line.unit_price === undefined ? items.get(line.item_id.toLowerCase())!.unit_cost : line.unit_price.toFixed(2),
      }))
      assertTotalFits(lines)
      await repository.insertLines(tx, draft.id, lines)
      const order = await repository.updateTotal(tx, draft.id)
      const stored = await repository.listLines(tx, order.id)
      await recordAudit(tx, {
        action: 'orders.order.created', resourceType: 'order', resourceId: order.id,
        changes: { order_number: order.order_number, total: order.total, lines: stored.map((line) => ({ item_id: line.item_id, quantity: line.quantity })) },
      })
      await emitDomainEvent(tx, 'orders.created', { order: presentOrder(order, stored) })
      return { order, lines: stored }
    })
  }

  /** Moves an order along ORDER_TRANSITIONS; cancelling releases its stock. */
  changeStatus(id: string, status: OrderStatus): Promise<OrderWithLines> {
    return withTenant(this.db, async (tx) => {
      const current = await lockOrder(tx, id)
      assertTransition(current.status, status)
      const lines = await repository.listLines(tx, id)
      if (status === 'cancelled' && HOLDS_STOCK.has(current.status)) await release(tx, current, lines, 'cancelled')
      const order = await repository.updateStatus(tx, id, status)
      await recordAudit(tx, { action: 'orders.order.status_changed', resourceType: 'order', resourceId: id, changes: { status: { from: current.status, to: status } } })
      await emitDomainEvent(tx, 'orders.updated', { order: presentOrder(order, lines), previous_status: current.status })
      return { order, lines }
    })
  }

  /** Pending (its stock is released) or cancelled orders only; anything further along is history. */
  delete(id: string): Promise<void> {
    return withTenant(this.db, async (tx) => {
      const order = await lockOrder(tx, id)
      if (!DELETABLE.has(order.status)) {
        throw new AppError('conflict', `a ${order.status} order cannot be deleted; only pending or cancelled ones can`, { order_status: order.status })
      }
      const lines = await repository.listLines(tx, id)
      if (HOLDS_STOCK.has(order.status)) await release(tx, order, lines, 'deleted')
      await repository.deleteOrder(tx, id)
      await recordAudit(tx, { action: 'orders.order.deleted', resourceType: 'order', resourceId: id, changes: { order_number: order.order_number, status: order.status, total: order.total } })
      await emitDomainEvent(tx, 'orders.deleted', { order: presentOrder(order, lines) })
    })
  }
}

/** Locked, so concurrent status changes of one order queue and each sees the other's result. */
async function lockOrder(tx: TenantTx, id: string): Promise<OrderRow> {
  const order = await repository.findOrder(tx, id, { lock: true })
  if (!order) throw notFound('order', id)
  return order
}

function release(tx: TenantTx, order: OrderRow, lines: OrderLineRow[], why: string): Promise<void> {
  const held = lines.map((line) => ({ itemId: line.item_id, quantity: line.quantity }))
  return releaseStock(tx, held, { id: order.id, number: order.order_number }, why)
}

/** The largest total numeric(14,2) holds, in cents: orders.total and each line's total. */
const MAX_TOTAL_CENTS = 99_999_999_999_999n

/**
 * An order's total is summed by the database in numeric(14,2); a larger one would fail there with
 * a bare "numeric field overflow". Summed here first, exactly (cents as bigint), to refuse it as
 * the caller's input with the total it came to.
 */
function assertTotalFits(lines: readonly { quantity: number; unitPrice: string }[]): void {
  const total = lines.reduce((sum, line) => sum + BigInt(line.quantity) * centsOf(line.unitPrice), 0n)
  if (total <= MAX_TOTAL_CENTS) return
  const message = `the order's total would be ${decimal(total)}, more than ${decimal(MAX_TOTAL_CENTS)}, the most an order can hold`
  throw new AppError('validation_failed', message, { errors: [{ path: 'body/lines', message }] })
}

/** 1250n → "12.50". */
const decimal = (cents: bigint): string => `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`

/** "12.5" or "12.50" (a numeric(14,2) text or toFixed(2), never negative) → 1250n. */
function centsOf(decimal: string): bigint {
  const [whole, fraction = ''] = decimal.split('.')
  return BigInt(whole!) * 100n + BigInt(fraction.padEnd(2, '0').slice(0, 2))
}
