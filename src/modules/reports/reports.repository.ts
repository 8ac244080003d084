// SQL for reports: aggregates over the tenant's inventory, computed by PostgreSQL in numeric.
import type { TenantTx } from '../../db/index.ts'

export interface InventoryTotalsRow {
  item_count: number
  /** Sums arrive as text: bigint and numeric do not fit a JS number in general. */
  total_units: string
  stock_value: string
  low_stock_count: number
  out_of_stock_count: number
}

export interface LowStockRow {
  id: string
  item_code: string
  name: string
  location: string | null
  quantity: number
  reorder_point: number
  unit: string
}

export async function inventoryTotals(tx: TenantTx): Promise<InventoryTotalsRow> {
  const { rows } = await tx.query<InventoryTotalsRow>(
    `select count(*)::int as item_count,
            coalesce(sum(quantity), 0)::text as total_units,
            -- Unbounded numeric: any stock the items can hold has a value (numeric(20,2) overflowed).
            round(coalesce(sum(quantity * unit_cost), 0), 2)::text as stock_value,
            (count(*) filter (where quantity <= reorder_point))::int as low_stock_count,
            (count(*) filter (where quantity = 0))::int as out_of_stock_count
       from inventory_items where tenant_id = $1`,
    [tx.tenantId],
  )
  return rows[0]!
}

/** The items furthest below their reorder point first. */
export async function lowStockItems(tx: TenantTx, limit: number): Promise<LowStockRow[]> {
  const { rows } = await tx.query<LowStockRow>(
    `select id, item_code, name, location, quantity, reorder_point, unit from inventory_items
      where tenant_id = $1 and quantity <= reorder_point
      order by quantity - reorder_point, item_code limit $2`,
    [tx.tenantId, limit],
  )
  return rows
}
