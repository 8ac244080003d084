import { withTenant, type Database } from '../../db/index.ts'
import * as repository from './reports.repository.ts'
import type { LowStockRow } from './reports.repository.ts'

export interface InventorySummary {
  totals: { item_count: number; total_units: number; stock_value: string; low_stock_count: number; out_of_stock_count: number }
  low_stock_items: (LowStockRow & { shortfall: number })[]
  generated_at: Date
}

/**
 * Read-only views over the tenant's data. The summary's two queries share a transaction but, at
 * READ COMMITTED, not a snapshot: under concurrent writes the list may differ from the count by
 * the changes that committed in between, which a report can live with.
 */
export class ReportsService {
  private readonly db: Database

  constructor(db: Database) {
    this.db = db
  }

  inventorySummary(options: { lowStockLimit?: number } = {}): Promise<InventorySummary> {
    return withTenant(this.db, async (tx) => {
      const totals = await repository.inventoryTotals(tx)
      const low = await repository.lowStockItems(tx, options.lowStockLimit ?? 50)
      return {
        // Units fit a JS number exactly up to 2^53: far beyond any real stock count.
        totals: { ...totals, total_units: Number(totals.total_units) },
        low_stock_items: low.map((item) => ({ ...item, shortfall: item.reorder_point - item.quantity })),
        generated_at: new Date(),
      }
    })
  }
}
