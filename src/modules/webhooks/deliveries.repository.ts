// SQL for what a tenant does with deliveries: the attempt log, a test event, replays. Every
// statement filters on tx.tenantId and on the endpoint, so an id from elsewhere matches nothing.
import type { TenantTx } from '../../db/index.ts'
import { wakeDispatchers } from './wake-signal.ts'

export interface AttemptRow {
  delivery_id: string
  attempt: number
  started_at: Date
  duration_ms: number
  outcome: 'delivered' | 'failed' | 'dlq' | 'gone'
  status_code: number | null
  error: string | null
  response_body: string | null
}

/** The attempts of these deliveries, oldest first. */
export async function attemptsOf(tx: TenantTx, deliveryIds: string[]): Promise<AttemptRow[]> {
  if (deliveryIds.length === 0) return []
  const { rows } = await tx.query<AttemptRow>(
    `select delivery_id, attempt, started_at, duration_ms, outcome, status_code, error, response_body
       from webhook_delivery_attempts where tenant_id = $1 and delivery_id = any($2::uuid[]) order by delivery_id, attempt, started_at`,
    [tx.tenantId, deliveryIds],
  )
  return rows
}

/** A delivery outside the outbox (the test event): due now, and the dispatchers woken at commit. */
export async function insertDelivery(tx: TenantTx, delivery: { endpointId: string; eventId: string; eventType: string; body: string }): Promise<{ id: string }> {
  const { rows } = await tx.query<{ id: string }>(
    `insert into webhook_deliveries (tenant_id, endpoint_id, event_id, event_type, body, status, next_attempt_at)
     values ($1, $2, $3, $4, $5, 'pending', now()) returning id`,
    [tx.tenantId, delivery.endpointId, delivery.eventId, delivery.eventType, delivery.body],
  )
  tx.afterCommit(wakeDispatchers)
  return rows[0]!
}

export interface ReplaySelection {
  endpointId: string
  /** One delivery, or every one created in [since, until) with one of the statuses. */
  deliveryId?: string
  since?: Date
  until?: Date
  statuses?: string[]
}

/**
 * Queues deliveries again with a fresh retry budget (their history stays). A delivery being sent
 * right now is left alone: replaying it would race its own attempt. Returns the ids replayed.
 */
export async function replay(tx: TenantTx, selection: ReplaySelection): Promise<string[]> {
  const { rows } = await tx.query<{ id: string }>(
    `update webhook_deliveries
        set status = 'pending', next_attempt_at = now(), replayed_at_attempt = attempts, lease_token = null, lease_until = null
      where tenant_id = $1 and endpoint_id = $2 and status <> 'delivering'
        and ($3::uuid is null or id = $3)
        and ($4::timestamptz is null or created_at >= $4)
        and ($5::timestamptz is null or created_at < $5)
        and ($6::text[] is null or status = any($6))
     returning id`,
    [tx.tenantId, selection.endpointId, selection.deliveryId ?? null, selection.since ?? null, selection.until ?? null, selection.statuses ?? null],
  )
  if (rows.length > 0) tx.afterCommit(wakeDispatchers)
  return rows.map((row) => row.id)
}

export async function findDeliveryStatus(tx: TenantTx, endpointId: string, deliveryId: string): Promise<string | undefined> {
  const { rows } = await tx.query<{ status: string }>('select status from webhook_deliveries where tenant_id = $1 and endpoint_id = $2 and id = $3', [tx.tenantId, endpointId, deliveryId])
  return rows[0]?.status
}
