// Webhook delivery log retention (run by the scheduler): only finished deliveries (delivered,
// dlq), and their attempts with them (webhook_delivery_attempts references deliveries ON DELETE
// CASCADE).
import type { TenantTx } from '../../db/index.ts'

// Rows per statement: a tenant with a large backlog is cleaned in short transactions, not one
// long one holding locks on many rows.
export const RETENTION_BATCH = 5000

/** Deletes up to RETENTION_BATCH finished deliveries created before `before`; returns how many. */
export async function deleteFinishedDeliveries(tx: TenantTx, before: Date): Promise<number> {
  const { rowCount } = await tx.query(
    `delete from webhook_deliveries where tenant_id = $1 and id in (
       select id from webhook_deliveries
        where tenant_id = $1 and status in ('delivered', 'dlq') and created_at < $2
        limit ${RETENTION_BATCH})`,
    [tx.tenantId, before.toISOString()],
  )
  return rowCount
}
