import { withTenant, withTenantStatement, type Database, type TenantTx } from '../../db/index.ts'
import { notFound } from '../../errors/index.ts'
import { decodeCursor, page } from '../../http/pagination.ts'
import { recordAudit } from '../audit/index.ts'
import { emitDomainEvent } from '../events/index.ts'
import { effectiveConfig, quotaExceeded } from '../plans/index.ts'
import { lockTenant } from '../tenants/index.ts'
import type { AdjustmentRow } from './adjustments.repository.ts'
import * as adjustments from './adjustments.repository.ts'
import { presentItem } from './inventory.presenter.ts'
import * as repository from './inventory.repository.ts'
import type { InventoryItem, InventoryItemChanges, ItemFilters, NewInventoryItem } from './inventory.repository.ts'
import { changeStock, recordInitialStock, recordItemUpdate, stockRefusal } from './stock-ledger.ts'

type Page<T> = { data: T[]; next_cursor: string | null }

/**
 * The reference domain's item rules. Each method runs in the context's tenant, and each change
 * commits together with its audit entry, its ledger row and its domain events, or not at all.
 */
export class InventoryService {
  private readonly db: Database

  constructor(db: Database) {
    this.db = db
  }

  async list(options: ItemFilters & { limit?: number; cursor?: string }): Promise<Page<InventoryItem>> {
    const limit = options.limit ?? 50
    const after = decodeCursor(options.cursor)
    const rows = await withTenantStatement(this.db, (tx) => repository.listItems(tx, { ...options, limit: limit + 1, after }))
    return page(rows, limit)
  }

  /** One statement: travels with the tenant context in a single round trip. */
  async getItem(id: string): Promise<InventoryItem> {
    const item = await withTenantStatement(this.db, (tx) => repository.findItemById(tx, id))
    if (!item) throw notFound('inventory item', id)
    return item
  }

  /** Creates an item within the plan's max_items; initial stock opens the item's ledger. */
  createItem(input: NewInventoryItem): Promise<InventoryItem> {
    return withTenant(this.db, async (tx) => {
      await assertItemQuota(tx)
      const item = await repository.insertItem(tx, { ...input, unit_cost: cents(input.unit_cost) })
      await recordInitialStock(tx, item)
      await recordAudit(tx, { action: 'inventory.item.created', resourceType: 'inventory_item', resourceId: item.id, changes: { item_code: item.item_code, name: item.name, quantity: item.quantity } })
      await emitDomainEvent(tx, 'inventory.created', { item: presentItem(item) })
      return item
    })
  }

  /** Changes only what differs; a request that changes nothing writes nothing. */
  updateItem(id: string, input: InventoryItemChanges): Promise<InventoryItem> {
    return withTenant(this.db, async (tx) => {
      // Locked, so the diff and the ledger row describe exactly the change this update makes.
      const current = await repository.findItemById(tx, id, { lock: true })
      if (!current) throw notFound('inventory item', id)
      const changes = diff(current, { ...input, unit_cost: cents(input.unit_cost) })
      if (Object.keys(changes).length === 0) return current
      const values = Object.fromEntries(Object.entries(changes).map(([field, change]) => [field, change.to])) as InventoryItemChanges
      const item = (await repository.updateItem(tx, id, values))!
      await recordAudit(tx, { action: 'inventory.item.updated', resourceType: 'inventory_item', resourceId: id, changes })
      await emitDomainEvent(tx, 'inventory.updated', { item: presentItem(item), changes })
      await recordItemUpdate(tx, item, current)
      return item
    })
  }

  /** Refused with 409 while order lines refer to the item (order history keeps its items). */
  deleteItem(id: string): Promise<void> {
    return withTenant(this.db, async (tx) => {
      const item = await repository.findItemById(tx, id, { lock: true })
      if (!item) throw notFound('inventory item', id)
      await repository.deleteItem(tx, id)
      await recordAudit(tx, { action: 'inventory.item.deleted', resourceType: 'inventory_item', resourceId: id, changes: { item_code: item.item_code, name: item.name, quantity: item.quantity } })
      await emitDomainEvent(tx, 'inventory.deleted', { item: presentItem(item) })
    })
  }

  /** Adds or removes stock; 409 naming the stock when it would go below zero or past MAX_STOCK. */
  adjustStock(id: string, input: { delta: number; reason: string }): Promise<{ adjustment: AdjustmentRow; item: InventoryItem }> {
    return withTenant(this.db, async (tx) => {
      const result = await changeStock(tx, { itemId: id, delta: input.delta, reason: input.reason }, 'adjustment')
      if (!result.ok && !result.item) throw notFound('inventory item', id)
      if (!result.ok) throw stockRefusal(result.item!, input.delta)
      await recordAudit(tx, {
        action: 'inventory.stock.adjusted', resourceType: 'inventory_item', resourceId: id,
        changes: { delta: input.delta, reason: input.reason, quantity: { from: result.before, to: result.item.quantity } },
      })
      return { adjustment: result.adjustment, item: result.item }
    })
  }

  listAdjustments(id: string, options: { limit?: number; cursor?: string }): Promise<Page<AdjustmentRow>> {
    const limit = options.limit ?? 50
    const before = decodeCursor(options.cursor)
    return withTenant(this.db, async (tx) => {
      if (!(await repository.findItemById(tx, id))) throw notFound('inventory item', id)
      return page(await adjustments.listAdjustments(tx, id, limit, before), limit)
    })
  }
}

/**
 * max_items of the tenant's plan. The tenant row is locked first, so concurrent creations queue
 * here and each counts what the ones before it committed: the limit cannot be overshot.
 */
async function assertItemQuota(tx: TenantTx): Promise<void> {
  const tenant = await lockTenant(tx, tx.tenantId)
  if (!tenant) throw notFound('tenant', tx.tenantId)
  const limit = effectiveConfig(tenant.plan, tenant.settings).limits.max_items
  if (limit !== null && (await repository.countItems(tx)) >= limit) {
    throw quotaExceeded('max_items', limit, `the plan allows ${limit} inventory items`)
  }
}

/** Money in cents as the text numeric(14,2) stores, so diffs compare like with like. */
function cents(value: number | string | undefined): string | undefined {
  return value === undefined ? undefined : Number(value).toFixed(2)
}

type FieldChanges = Record<string, { from: unknown; to: unknown }>

function diff(current: InventoryItem, input: InventoryItemChanges): FieldChanges {
  const changes: FieldChanges = {}
  for (const [field, to] of Object.entries(input) as [keyof InventoryItemChanges, unknown][]) {
    if (to !== undefined && current[field] !== to) changes[field] = { from: current[field], to }
  }
  return changes
}
