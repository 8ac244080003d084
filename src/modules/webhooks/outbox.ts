// The webhooks half of the transactional outbox (DESIGN §10): one webhook_deliveries row per
// active endpoint of the tenant subscribed to the event, written in the caller's transaction.
// Imported by the events module, so it imports nothing but the db types and the signing leaf.
import type { TenantTx } from '../../db/index.ts'
import { AppError } from '../../errors/index.ts'
import { buildEventBody, type WebhookEvent } from './signing/index.ts'
import { wakeDispatchers } from './wake-signal.ts'

/** Subscribed: status active and `events` holding the type or '*'. */
const SUBSCRIBED = `tenant_id = $1 and status = 'active' and events && array[$2::text, '*']`

/**
 * Queues the event for every subscribed endpoint; returns how many deliveries were written.
 * One statement in the usual case. A body over 256 KiB refuses the change only when someone is
 * subscribed (the delivery could never be sent); with no subscriber the event is simply not queued.
 */
export async function enqueueWebhookDeliveries(tx: TenantTx, event: WebhookEvent): Promise<number> {
  let body: string
  try {
    body = buildEventBody(event)
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== 'payload_too_large') throw error
    const { rows } = await tx.query<{ n: number }>(`select count(*)::int as n from webhook_endpoints where ${SUBSCRIBED}`, [tx.tenantId, event.type])
    if (rows[0]!.n === 0) return 0
    throw error
  }
  const { rowCount } = await tx.query(
    `insert into webhook_deliveries (tenant_id, endpoint_id, event_id, event_type, body, status, next_attempt_at)
     select tenant_id, id, $3, $2, $4, 'pending', now() from webhook_endpoints where ${SUBSCRIBED}`,
    [tx.tenantId, event.type, event.id, body],
  )
  // Only once the change has committed: a rolled-back change wakes nobody.
  if (rowCount > 0) tx.afterCommit(wakeDispatchers)
  return rowCount
}
