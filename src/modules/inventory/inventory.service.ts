import { withTenant, withTenantStatement, type Database } from '../../db/index.ts'
import { notFound } from '../../errors/index.ts'
import * as repository from './inventory.repository.ts'
import type { InventoryItem } from './inventory.repository.ts'

/**
 * The reference domain's rules. Each method runs in the context's tenant; routes (issue: RBAC
 * and the reference domain) call these and nothing below them.
 */
export class InventoryService {
  constructor(private readonly db: Database) {}

  /** One statement: travels with the tenant context in a single round trip. */
  async getItem(id: string): Promise<InventoryItem> {
    const item = await withTenantStatement(this.db, (tx) => repository.findItemById(tx, id))
    if (!item) throw notFound('inventory item', id)
    return item
  }

  createItem(item: repository.NewInventoryItem): Promise<InventoryItem> {
    return withTenant(this.db, (tx) => repository.insertItem(tx, item))
  }
}
