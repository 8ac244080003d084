// Rows → the public representation (the same one in API answers and in domain events).
import type { Static } from 'typebox'
import type { InventoryItemData } from '../events/index.ts'
import type { AdjustmentRow } from './adjustments.repository.ts'
import type { InventoryItem } from './inventory.repository.ts'

export type ItemView = Static<typeof InventoryItemData>

export const isLowStock = (item: Pick<InventoryItem, 'quantity' | 'reorder_point'>) => item.quantity <= item.reorder_point

export function presentItem(item: InventoryItem): ItemView {
  return {
    id: item.id,
    item_code: item.item_code,
    name: item.name,
    description: item.description,
    quantity: item.quantity,
    unit: item.unit,
    location: item.location,
    reorder_point: item.reorder_point,
    unit_cost: item.unit_cost,
    low_stock: isLowStock(item),
    created_at: item.created_at.toISOString(),
    updated_at: item.updated_at.toISOString(),
  }
}

export const presentAdjustment = (adjustment: AdjustmentRow) => ({ ...adjustment, created_at: adjustment.created_at.toISOString() })
