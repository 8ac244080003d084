// Every change of an item's quantity goes through here, in the caller's transaction: the
// conditional update (never below zero, never above MAX_STOCK), the ledger row, and the domain events. Stock
// adjustments use changeStock; orders use reserveStock and releaseStock (exported through
// index.ts), so the rules for stock live in one module.
import { describeActor } from '../audit/index.ts'
import { tryGetContext } from '../../context/index.ts'
import type { TenantTx } from '../../db/index.ts'
import { AppError } from '../../errors/index.ts'
import { emitDomainEvent } from '../events/index.ts'
import * as adjustments from './adjustments.repository.ts'
import type { AdjustmentRow } from './adjustments.repository.ts'
import { isLowStock, presentItem } from './inventory.presenter.ts'
import * as items from './inventory.repository.ts'
import type { InventoryItem } from './inventory.repository.ts'

export interface StockChange {
  itemId: string
  delta: number
  reason: string
  orderId?: string
}

export type StockChangeResult =
  | { ok: true; item: InventoryItem; before: number; adjustment: AdjustmentRow }
  /** `item` is its current state, or undefined when the tenant has no such item. */
  | { ok: false; item: InventoryItem | undefined }

/** Applies one change unless it would take the stock below zero or above MAX_STOCK; nothing is written when it would. */
export async function changeStock(tx: TenantTx, change: StockChange, cause: 'adjustment' | 'order'): Promise<StockChangeResult> {
  const item = await items.addStock(tx, change.itemId, change.delta)
  if (!item) return { ok: false, item: await items.findItemById(tx, change.itemId) }
  const before = item.quantity - change.delta
  const adjustment = await adjustments.insertAdjustment(tx, { ...change, quantityAfter: item.quantity, ...actorColumns() })
  await announceStockChange(tx, item, before, cause)
  return { ok: true, item, before, adjustment }
}

/** A new item's opening stock is the first row of its ledger, so the ledger explains every unit. */
export async function recordInitialStock(tx: TenantTx, item: InventoryItem): Promise<void> {
  if (item.quantity > 0) await adjustments.insertAdjustment(tx, { itemId: item.id, delta: item.quantity, reason: 'initial stock', quantityAfter: item.quantity, ...actorColumns() })
}

/**
 * After an item update (PATCH): a quantity set directly still gets its ledger row, and a change
 * of quantity or reorder point that makes the item low on stock is announced.
 */
export async function recordItemUpdate(tx: TenantTx, item: InventoryItem, before: { quantity: number; reorder_point: number }): Promise<void> {
  const delta = item.quantity - before.quantity
  if (delta !== 0) await adjustments.insertAdjustment(tx, { itemId: item.id, delta, reason: 'quantity set by an item update', quantityAfter: item.quantity, ...actorColumns() })
  if (crossedReorderPoint(before, item)) await emitDomainEvent(tx, 'inventory.low_stock', { item: presentItem(item), cause: 'update' })
}

export interface OrderLineStock {
  itemId: string
  quantity: number
}

/**
 * Takes the stock of an order's lines, all or nothing. Items are updated in item_id order, so
 * two orders over the same items lock them in the same order and cannot deadlock. Every short
 * item is named (not only the first); the caller's transaction then rolls back whatever was taken.
 */
export async function reserveStock(tx: TenantTx, lines: OrderLineStock[], order: { id: string; number: string }): Promise<Map<string, InventoryItem>> {
  const reserved = new Map<string, InventoryItem>()
  const shortages: { item_id: string; item_code: string; available: number; requested: number }[] = []
  for (const [itemId, quantity] of totalsByItem(lines)) {
    const result = await changeStock(tx, { itemId, delta: -quantity, reason: `reserved by order ${order.number}`, orderId: order.id }, 'order')
    if (result.ok) reserved.set(itemId, result.item)
    // The same 404 whether the item never existed or belongs to another tenant.
    else if (!result.item) throw new AppError('not_found', `inventory item ${itemId} was not found`, { resource: 'inventory item', item_id: itemId })
    else shortages.push({ item_id: itemId, item_code: result.item.item_code, available: result.item.quantity, requested: quantity })
  }
  if (shortages.length > 0) {
    const named = shortages.map((short) => `${short.item_code} (${short.available} available, ${short.requested} requested)`).join(', ')
    throw new AppError('conflict', `not enough stock for ${named}`, { shortages })
  }
  return reserved
}

/** Gives an order's stock back (cancellation, deletion of a pending order), in item_id order. */
export async function releaseStock(tx: TenantTx, lines: OrderLineStock[], order: { id: string; number: string }, why: string): Promise<void> {
  for (const [itemId, quantity] of totalsByItem(lines)) {
    const result = await changeStock(tx, { itemId, delta: quantity, reason: `released: order ${order.number} ${why}`, orderId: order.id }, 'order')
    // order_lines → inventory_items has no ON DELETE, so an item on an order cannot vanish;
    // what can happen is stock refilled meanwhile so close to MAX_STOCK that the units no longer fit.
    if (!result.ok && result.item) throw stockRefusal(result.item, quantity)
    if (!result.ok) throw new Error(`releasing stock of order ${order.id}: item ${itemId} is missing`)
  }
}

/** The 409 of a change the item's stock cannot take: more than it holds, or past MAX_STOCK. */
export function stockRefusal(item: InventoryItem, delta: number): AppError {
  if (delta > 0) {
    return new AppError('conflict', `${item.item_code} holds ${item.quantity} ${item.unit}: adding ${delta} would exceed ${items.MAX_STOCK}, the most an item can hold`, {
      item_id: item.id, available: item.quantity, requested: delta, maximum: items.MAX_STOCK,
    })
  }
  return new AppError('conflict', `only ${item.quantity} ${item.unit} of ${item.item_code} in stock: cannot remove ${-delta}`, {
    item_id: item.id, available: item.quantity, requested: -delta,
  })
}

/** Low stock is announced when a change crosses the reorder point, not on every change below it. */
export function crossedReorderPoint(before: { quantity: number; reorder_point: number }, after: { quantity: number; reorder_point: number }): boolean {
  return !isLowStock(before) && isLowStock(after)
}

async function announceStockChange(tx: TenantTx, item: InventoryItem, before: number, cause: 'adjustment' | 'order'): Promise<void> {
  await emitDomainEvent(tx, 'inventory.updated', { item: presentItem(item), changes: { quantity: { from: before, to: item.quantity } } })
  if (crossedReorderPoint({ quantity: before, reorder_point: item.reorder_point }, item)) {
    await emitDomainEvent(tx, 'inventory.low_stock', { item: presentItem(item), cause })
  }
}

/** Lines of one item add up; the map iterates in item_id order (the lock order). */
function totalsByItem(lines: OrderLineStock[]): Map<string, number> {
  const totals = new Map<string, number>()
  // Lower case: PostgreSQL orders uuids by their bytes, which is the order of lower-case hex text.
  const normalised = lines.map((line) => ({ itemId: line.itemId.toLowerCase(), quantity: line.quantity }))
  for (const line of normalised.sort((a, b) => (a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : 0))) {
    totals.set(line.itemId, (totals.get(line.itemId) ?? 0) + line.quantity)
  }
  return totals
}

/** Who changed the stock, for the ledger row (the audit log has the full request context). */
function actorColumns(): { actorType: string; actorId: string | null } {
  return describeActor(tryGetContext()?.actor)
}
