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
  /** numeric(14,2) arrives as its decimal text. */
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

export type InventoryItemChanges = Partial<NewInventoryItem>

export interface ItemFilters {
  /** Substring of name or item_code, case-insensitive. */
  q?: string
  location?: string
  lowStock?: boolean
}

/** The most units an item can hold: the range of the integer quantity column. */
export const MAX_STOCK = 2_147_483_647

const COLUMNS = 'id, tenant_id, item_code, name, description, quantity, unit, location, reorder_point, unit_cost, created_at, updated_at'

// The columns a PATCH may set, in a fixed order: a SET list is only ever built from these names.
const UPDATABLE = ['item_code', 'name', 'description', 'quantity', 'unit', 'location', 'reorder_point', 'unit_cost'] as const

export async function insertItem(tx: TenantTx, item: NewInventoryItem): Promise<InventoryItem> {
  const { rows } = await tx.query<InventoryItem>(
    `insert into inventory_items (tenant_id, item_code, name, description, quantity, unit, location, reorder_point, unit_cost)
     values ($1, $2, $3, coalesce($4, ''), coalesce($5, 0), coalesce($6, 'each'), $7, coalesce($8, 0), coalesce($9::numeric, 0))
     returning ${COLUMNS}`,
    [tx.tenantId, item.item_code, item.name, item.description ?? null, item.quantity ?? null, item.unit ?? null, item.location ?? null, item.reorder_point ?? null, item.unit_cost ?? null],
  )
  return rows[0]!
}

export async function findItemById(tx: TenantTx, id: string, options: { lock?: boolean } = {}): Promise<InventoryItem | undefined> {
  const { rows } = await tx.query<InventoryItem>(
    `select ${COLUMNS} from inventory_items where tenant_id = $1 and id = $2${options.lock ? ' for update' : ''}`,
    [tx.tenantId, id],
  )
  return rows[0]
}

/** Sets exactly the fields present in `changes` (undefined means "leave", null clears location). */
export async function updateItem(tx: TenantTx, id: string, changes: InventoryItemChanges): Promise<InventoryItem | undefined> {
  const fields = UPDATABLE.filter((field) => changes[field] !== undefined)
  const sets = fields.map((field, index) => `${field} = $${index + 3}`)
  const { rows } = await tx.query<InventoryItem>(
    `update inventory_items set ${[...sets, 'updated_at = now()'].join(', ')}
      where tenant_id = $1 and id = $2 returning ${COLUMNS}`,
    [tx.tenantId, id, ...fields.map((field) => changes[field])],
  )
  return rows[0]
}

/**
 * Adds delta to the stock only if the result stays within 0..MAX_STOCK, in one statement: the row
 * lock it takes makes concurrent changes queue, and each re-checks the condition against the
 * committed value, so no interleaving can oversell. The sum is taken in bigint, so a delta that
 * would overflow the integer column is a refusal here, not a database error. Undefined: the item
 * is missing, the stock is short, or the result would exceed MAX_STOCK.
 */
export async function addStock(tx: TenantTx, id: string, delta: number): Promise<InventoryItem | undefined> {
  const { rows } = await tx.query<InventoryItem>(
    `update inventory_items set quantity = quantity + $3::bigint, updated_at = now()
      where tenant_id = $1 and id = $2 and quantity + $3::bigint between 0 and ${MAX_STOCK}
      returning ${COLUMNS}`,
    [tx.tenantId, id, delta],
  )
  return rows[0]
}

export async function deleteItem(tx: TenantTx, id: string): Promise<boolean> {
  const { rowCount } = await tx.query('delete from inventory_items where tenant_id = $1 and id = $2', [tx.tenantId, id])
  return rowCount > 0
}

export async function countItems(tx: TenantTx): Promise<number> {
  const { rows } = await tx.query<{ n: number }>('select count(*)::int as n from inventory_items where tenant_id = $1', [tx.tenantId])
  return rows[0]!.n
}

/**
 * Keyset pagination by (created_at, id), oldest first: stable under inserts, no OFFSET scans.
 * `position` is created_at as PostgreSQL prints it (microseconds), for the next cursor.
 */
export async function listItems(
  tx: TenantTx,
  options: ItemFilters & { limit: number; after?: { at: string; id: string } },
): Promise<(InventoryItem & { position: string })[]> {
  const { rows } = await tx.query<InventoryItem & { position: string }>(
    `select ${COLUMNS}, created_at::text as position from inventory_items
      where tenant_id = $1
        and ($2::text is null or name ilike $2 escape '\\' or item_code ilike $2 escape '\\')
        and ($3::text is null or location = $3)
        and (not $4::boolean or quantity <= reorder_point)
        and ($5::timestamptz is null or (created_at, id) > ($5::timestamptz, $6::uuid))
      order by created_at, id limit $7`,
    [tx.tenantId, options.q === undefined ? null : `%${escapeLike(options.q)}%`, options.location ?? null, options.lowStock ?? false, options.after?.at ?? null, options.after?.id ?? null, options.limit],
  )
  return rows
}

/** `%` and `_` in a search are literal characters, not wildcards. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`)
}
