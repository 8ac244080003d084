// SQL for the stock ledger (inventory_adjustments): one row per change of an item's quantity.
import type { TenantTx } from '../../db/index.ts'

export interface AdjustmentRow {
  id: string
  item_id: string
  delta: number
  reason: string
  quantity_after: number
  order_id: string | null
  actor_type: string | null
  actor_id: string | null
  created_at: Date
}

export interface NewAdjustment {
  itemId: string
  delta: number
  reason: string
  quantityAfter: number
  orderId?: string
  actorType: string
  actorId: string | null
}

const COLUMNS = 'id, item_id, delta, reason, quantity_after, order_id, actor_type, actor_id, created_at'

export async function insertAdjustment(tx: TenantTx, adjustment: NewAdjustment): Promise<AdjustmentRow> {
  const { rows } = await tx.query<AdjustmentRow>(
    `insert into inventory_adjustments (tenant_id, item_id, delta, reason, quantity_after, order_id, actor_type, actor_id)
     values ($1, $2, $3, $4, $5, $6, $7, $8) returning ${COLUMNS}`,
    [tx.tenantId, adjustment.itemId, adjustment.delta, adjustment.reason, adjustment.quantityAfter, adjustment.orderId ?? null, adjustment.actorType, adjustment.actorId],
  )
  return rows[0]!
}

/** Newest first, keyset by (created_at, id) on the (tenant_id, item_id, created_at) index. */
export async function listAdjustments(
  tx: TenantTx,
  itemId: string,
  limit: number,
  before: { at: string; id: string } | undefined,
): Promise<(AdjustmentRow & { position: string })[]> {
  const { rows } = await tx.query<AdjustmentRow & { position: string }>(
    `select ${COLUMNS}, created_at::text as position from inventory_adjustments
      where tenant_id = $1 and item_id = $2
        and ($3::timestamptz is null or (created_at, id) < ($3::timestamptz, $4::uuid))
      order by created_at desc, id desc limit $5`,
    [tx.tenantId, itemId, before?.at ?? null, before?.id ?? null, limit + 1],
  )
  return rows
}
