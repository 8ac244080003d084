// The dispatcher's SQL. The claim is the one statement that spans tenants (through the narrow
// SECURITY DEFINER function of migration 0007, which returns only keys); everything else runs
// under the delivery's own tenant context and only touches rows that still carry our lease token.
import { withSystem, withTenantStatement, type Database, type TenantTx } from '../../../db/index.ts'
import { MAX_WEBHOOK_TIMEOUT_MS } from '../webhook-timeout.ts'
import type { EndpointSecretsRow } from '../webhooks.repository.ts'

export interface ClaimedKey {
  tenant_id: string
  delivery_id: string
}

export async function claimDue(db: Database, limit: number, leaseMs: number, token: string): Promise<ClaimedKey[]> {
  const { rows } = await withSystem(db, (tx) =>
    tx.query<ClaimedKey>('select tenant_id, delivery_id from tenantry_claim_webhook_deliveries($1, $2, $3)', [limit, leaseMs, token]),
  )
  return rows
}

export interface QueueStats {
  due: number
  oldestDueAt: Date | null
}

export async function queueStats(db: Database): Promise<QueueStats> {
  const { rows } = await withSystem(db, (tx) => tx.query<{ due: string; oldest_due_at: Date | null }>('select due, oldest_due_at from tenantry_webhook_queue_stats()'))
  return { due: Number(rows[0]?.due ?? 0), oldestDueAt: rows[0]?.oldest_due_at ?? null }
}

/** A claimed delivery with what sending it needs. */
export interface ClaimedDelivery extends EndpointSecretsRow {
  id: string
  endpoint_id: string
  event_id: string
  event_type: string
  body: string
  attempts: number
  replayed_at_attempt: number
  url: string
  headers: Record<string, string>
  retry_count: number
  timeout_ms: number
  endpoint_status: 'active' | 'disabled'
}

/**
 * Reads the claimed rows of one tenant, in one statement. The claim's lease (leaseMs) covers an
 * attempt when the endpoint's timeout is at most half of it; rows of slower endpoints get their
 * lease stretched to timeout + leaseMs here, so only they pay a second write. A row whose token
 * changed (its lease lapsed and another dispatcher took it) is simply not returned. The timeout
 * comes back cut to MAX_WEBHOOK_TIMEOUT_MS (endpoints stored before that limit may have more).
 */
export async function leaseForSending(db: Database, ids: string[], token: string, leaseMs: number): Promise<ClaimedDelivery[]> {
  const { rows } = await withTenantStatement(db, (tx) =>
    tx.query<ClaimedDelivery>(
      `with claimed as (
         select d.id, d.endpoint_id, d.event_id, d.event_type, d.body, d.attempts, d.replayed_at_attempt,
                e.url, e.headers, e.retry_count, least(e.timeout_ms, $5) as timeout_ms, e.status as endpoint_status,
                e.secret, e.secret_key_version, e.previous_secret, e.previous_secret_key_version, e.previous_secret_expires_at
           from webhook_deliveries d
           join webhook_endpoints e on e.tenant_id = d.tenant_id and e.id = d.endpoint_id
          where d.tenant_id = $1 and d.id = any($2::uuid[]) and d.lease_token = $3),
       stretched as (
         update webhook_deliveries d
            set lease_until = now() + make_interval(secs => (c.timeout_ms + $4) / 1000.0),
                next_attempt_at = now() + make_interval(secs => (c.timeout_ms + $4) / 1000.0)
           from claimed c
          where d.tenant_id = $1 and d.id = c.id and d.lease_token = $3 and c.timeout_ms * 2 > $4
         returning d.id)
       select claimed.* from claimed`,
      [tx.tenantId, ids, token, leaseMs, MAX_WEBHOOK_TIMEOUT_MS],
    ),
  )
  return rows
}

export type AttemptOutcome = 'delivered' | 'failed' | 'dlq' | 'gone'

/** What one attempt (or a decision not to send) did to one delivery. */
export interface DeliveryResult {
  deliveryId: string
  /** The claim's token: the result is written only if the row still carries it. */
  token: string
  endpointId: string
  outcome: AttemptOutcome
  /** False when nothing was sent (endpoint disabled, target refused): no attempt row. */
  sent: boolean
  startedAt: Date
  durationMs: number
  statusCode: number | null
  error: string | null
  responseBody: string | null
  /** For outcome failed: when to try again. */
  nextAttemptAt: Date | null
}

/**
 * Writes a batch of one tenant's results in one transaction: the deliveries (only rows still
 * carrying their result's claim token), one attempt row per sent attempt, and each endpoint's health — disabled on
 * 410 Gone, or when it has failed without a success for longer than disableAfterMs (0: never),
 * counted from its last success or its last change by a person (updated_at: creation, an edit,
 * re-enabling), whichever is later.
 * Returns the endpoints this batch disabled.
 */
export async function recordResults(tx: TenantTx, results: DeliveryResult[], disableAfterMs: number): Promise<string[]> {
  await tx.query(
    `with o as (
       select * from unnest($2::uuid[], $3::text[], $4::boolean[], $5::timestamptz[], $6::int[], $7::int[], $8::text[], $9::text[], $10::timestamptz[], $11::uuid[])
         as o(delivery_id, outcome, sent, started_at, duration_ms, status_code, error, response_body, next_attempt_at, token)),
     updated as (
       update webhook_deliveries d
          set status = case o.outcome when 'gone' then 'dlq' else o.outcome end,
              attempts = d.attempts + case when o.sent then 1 else 0 end,
              next_attempt_at = coalesce(o.next_attempt_at, now()),
              lease_token = null, lease_until = null,
              last_status_code = coalesce(o.status_code, case when o.sent then null else d.last_status_code end),
              last_error = o.error,
              delivered_at = case when o.outcome = 'delivered' then now() else d.delivered_at end
         from o
        where d.tenant_id = $1 and d.id = o.delivery_id and d.lease_token = o.token
       returning d.id, d.attempts)
     insert into webhook_delivery_attempts (tenant_id, delivery_id, attempt, started_at, duration_ms, outcome, status_code, error, response_body)
     select $1, updated.id, updated.attempts, o.started_at, o.duration_ms, o.outcome, o.status_code, o.error, o.response_body
       from updated join o on o.delivery_id = updated.id
      where o.sent`,
    [
      tx.tenantId,
      results.map((r) => r.deliveryId),
      results.map((r) => r.outcome),
      results.map((r) => r.sent),
      results.map((r) => r.startedAt),
      results.map((r) => r.durationMs),
      results.map((r) => r.statusCode),
      results.map((r) => r.error),
      results.map((r) => r.responseBody),
      results.map((r) => r.nextAttemptAt),
      results.map((r) => r.token),
    ],
  )
  const health = endpointHealth(results.filter((r) => r.sent))
  if (health.length === 0) return []
  // Locked in id order first: concurrent flushes touching the same endpoints queue instead of
  // deadlocking, and the statuses read here are the ones before this batch.
  const endpointIds = health.map((h) => h.endpointId).sort()
  const { rows: before } = await tx.query<{ id: string; status: string }>(
    'select id, status from webhook_endpoints where tenant_id = $1 and id = any($2::uuid[]) order by id for update',
    [tx.tenantId, endpointIds],
  )
  const { rows: after } = await tx.query<{ id: string; status: string }>(
    `update webhook_endpoints e
        set last_success_at = coalesce(x.last_success_at, e.last_success_at),
            last_failure_at = coalesce(x.last_failure_at, e.last_failure_at),
            failure_count = case when x.last_success_at is not null then x.trailing_failures else e.failure_count + x.trailing_failures end,
            status = case
              when x.gone then 'disabled'
              when x.trailing_failures > 0 and $7 > 0
               and greatest(x.last_success_at, e.last_success_at, e.updated_at) < now() - make_interval(secs => $7 / 1000.0) then 'disabled'
              else e.status end
       from unnest($2::uuid[], $3::timestamptz[], $4::timestamptz[], $5::int[], $6::boolean[])
         as x(endpoint_id, last_success_at, last_failure_at, trailing_failures, gone)
      where e.tenant_id = $1 and e.id = x.endpoint_id
     returning e.id, e.status`,
    [
      tx.tenantId,
      health.map((h) => h.endpointId),
      health.map((h) => h.lastSuccessAt),
      health.map((h) => h.lastFailureAt),
      health.map((h) => h.trailingFailures),
      health.map((h) => h.gone),
      disableAfterMs,
    ],
  )
  const wasActive = new Set(before.filter((row) => row.status === 'active').map((row) => row.id))
  return after.filter((row) => row.status === 'disabled' && wasActive.has(row.id)).map((row) => row.id)
}

interface EndpointHealth {
  endpointId: string
  lastSuccessAt: Date | null
  lastFailureAt: Date | null
  /** Failures after the batch's last success (all of them when it had none). */
  trailingFailures: number
  gone: boolean
}

/** Folds a batch's attempts per endpoint, in the order they finished. */
export function endpointHealth(results: DeliveryResult[]): EndpointHealth[] {
  const byEndpoint = new Map<string, EndpointHealth>()
  for (const result of [...results].sort((a, b) => a.startedAt.getTime() + a.durationMs - (b.startedAt.getTime() + b.durationMs))) {
    const health = byEndpoint.get(result.endpointId) ?? { endpointId: result.endpointId, lastSuccessAt: null, lastFailureAt: null, trailingFailures: 0, gone: false }
    const finished = new Date(result.startedAt.getTime() + result.durationMs)
    if (result.outcome === 'delivered') {
      health.lastSuccessAt = finished
      health.trailingFailures = 0
    } else {
      health.lastFailureAt = finished
      health.trailingFailures += 1
      if (result.outcome === 'gone') health.gone = true
    }
    byEndpoint.set(result.endpointId, health)
  }
  return [...byEndpoint.values()]
}

/** Gives claimed rows back untouched (shutdown, or an endpoint already at its concurrency bound). */
export async function releaseClaims(db: Database, ids: string[], token: string, delayMs: number): Promise<void> {
  if (ids.length === 0) return
  await withTenantStatement(db, (tx) =>
    tx.query(
      `update webhook_deliveries
          set status = case when attempts = 0 then 'pending' else 'failed' end,
              lease_token = null, lease_until = null, next_attempt_at = now() + make_interval(secs => $4 / 1000.0)
        where tenant_id = $1 and id = any($2::uuid[]) and lease_token = $3`,
      [tx.tenantId, ids, token, delayMs],
    ),
  )
}
