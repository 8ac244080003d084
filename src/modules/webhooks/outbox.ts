// The webhooks half of the transactional outbox (DESIGN §10): one webhook_deliveries row per
// active endpoint of the tenant subscribed to the event, written in the caller's transaction.
// Imported by the events module, so it imports nothing but the db types and the signing leaf.
import type { TenantTx } from '../../db/index.ts'
import { AppError } from '../../errors/index.ts'
import { buildEventBody, type WebhookEvent } from './signing/index.ts'

/** LISTENed to by every dispatcher: new deliveries are due now. */
export const WEBHOOK_WAKE_CHANNEL = 'tenantry_webhooks'

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
  // The NOTIFY travels in the same statement (no extra round trip) and, like the rows, is sent
  // only at commit: a rolled-back change wakes nobody.
  const { rows } = await tx.query<{ n: number }>(
    `with queued as (
       insert into webhook_deliveries (tenant_id, endpoint_id, event_id, event_type, body, status, next_attempt_at)
       select tenant_id, id, $3, $2, $4, 'pending', now() from webhook_endpoints where ${SUBSCRIBED}
       returning 1)
     select count(*)::int as n, case when count(*) > 0 then pg_notify('${WEBHOOK_WAKE_CHANNEL}', '') end is null as woken from queued`,
    [tx.tenantId, event.type, event.id, body],
  )
  return rows[0]!.n
}
