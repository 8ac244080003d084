// SQL for inventory items. Every statement filters on tx.tenantId explicitly even though RLS
// would also hold: the two layers are proven separately by test/isolation.int.test.ts.
import type { TenantTx } from '../../db/index.ts'

export interface InventoryItem {
  id: string
  tenant_id: string
  item_code: string
  name: string
  description: string
  quantity: number
  unit: string
  location: string | null
  reorder_point: number
  unit_cost: string
  created_at: Date
  updated_at: Date
}

export interface NewInventoryItem {
  item_code: string
  name: string
  description?: string
  quantity?: number
  unit?: string
  location?: string | null
  reorder_point?: number
  unit_cost?: string | number
}

export type InventoryItemChanges = Partial<Omit<NewInventoryItem, 'item_code'>>

const COLUMNS = 'id, tenant_id, item_code, name, description, quantity, unit, location, reorder_point, unit_cost, created_at, updated_at'

export async function insertItem(tx: TenantTx, item: NewInventoryItem): Promise<InventoryItem> {
  const { rows } = await tx.query<InventoryItem>(
    `insert into inventory_items (tenant_id, item_code, name, description, quantity, unit, location, reorder_point, unit_cost)
     values ($1, $2, $3, coalesce($4, ''), coalesce($5, 0), coalesce($6, 'each'), $7, coalesce($8, 0), coalesce($9::numeric, 0))
     returning ${COLUMNS}`,
    [tx.tenantId, item.item_code, item.name, item.description ?? null, item.quantity ?? null, item.unit ?? null, item.location ?? null, item.reorder_point ?? null, item.unit_cost ?? null],
  )
  return rows[0]!
}

export async function findItemById(tx: TenantTx, id: string): Promise<InventoryItem | undefined> {
  const { rows } = await tx.query<InventoryItem>(`select ${COLUMNS} from inventory_items where tenant_id = $1 and id = $2`, [tx.tenantId, id])
  return rows[0]
}

export async function updateItem(tx: TenantTx, id: string, changes: InventoryItemChanges): Promise<InventoryItem | undefined> {
  const { rows } = await tx.query<InventoryItem>(
    `update inventory_items set
       name = coalesce($3, name), description = coalesce($4, description), quantity = coalesce($5, quantity),
       unit = coalesce($6, unit), location = coalesce($7, location), reorder_point = coalesce($8, reorder_point),
       unit_cost = coalesce($9::numeric, unit_cost), updated_at = now()
     where tenant_id = $1 and id = $2
     returning ${COLUMNS}`,
    [tx.tenantId, id, changes.name ?? null, changes.description ?? null, changes.quantity ?? null, changes.unit ?? null, changes.location ?? null, changes.reorder_point ?? null, changes.unit_cost ?? null],
  )
  return rows[0]
}

export async function deleteItem(tx: TenantTx, id: string): Promise<boolean> {
  const { rowCount } = await tx.query('delete from inventory_items where tenant_id = $1 and id = $2', [tx.tenantId, id])
  return rowCount > 0
}

/** Keyset pagination by id: stable under inserts, no OFFSET scans. */
export async function listItems(tx: TenantTx, options: { limit: number; after?: string }): Promise<InventoryItem[]> {
  const { rows } = await tx.query<InventoryItem>(
    `select ${COLUMNS} from inventory_items
      where tenant_id = $1 and ($2::uuid is null or id > $2::uuid)
      order by id limit $3`,
    [tx.tenantId, options.after ?? null, options.limit],
  )
  return rows
}
