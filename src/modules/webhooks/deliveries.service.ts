// What a tenant admin does with deliveries (DESIGN §10): read them with their attempts, send a
// test event, replay one or many. Sending itself is the dispatcher's; this only queues.
import { randomUUID } from 'node:crypto'
import { withTenant, type Database, type TenantTx } from '../../db/index.ts'
import { AppError, notFound } from '../../errors/index.ts'
import { recordAudit } from '../audit/index.ts'
import * as deliveries from './deliveries.repository.ts'
import type { AttemptRow } from './deliveries.repository.ts'
import { buildEventBody } from './signing/index.ts'
import * as repository from './webhooks.repository.ts'
import type { DeliveryRow, EndpointRow } from './webhooks.repository.ts'

export const TEST_EVENT_TYPE = 'webhook.test'

/** How GET /api/v1/webhook-events lists the test event (nothing subscribes to it: /test sends it). */
export const testEventType = {
  type: TEST_EVENT_TYPE,
  description: 'Sent only by POST /api/v1/webhooks/:id/test, to that endpoint, whatever it subscribes to',
  schema: {
    type: 'object',
    properties: { webhook_id: { type: 'string', format: 'uuid' }, message: { type: 'string' } },
    required: ['webhook_id', 'message'],
  },
}

export interface ReplayInput {
  since?: string
  until?: string
  status?: ('pending' | 'failed' | 'delivered' | 'dlq')[]
}

export class WebhookDeliveriesService {
  private readonly db: Database

  constructor(db: Database) {
    this.db = db
  }

  /** The attempts of a page of deliveries, grouped by delivery. */
  async attemptsFor(rows: DeliveryRow[]): Promise<Map<string, AttemptRow[]>> {
    const attempts = await withTenant(this.db, (tx) => deliveries.attemptsOf(tx, rows.map((row) => row.id)))
    const byDelivery = new Map<string, AttemptRow[]>()
    for (const attempt of attempts) byDelivery.set(attempt.delivery_id, [...(byDelivery.get(attempt.delivery_id) ?? []), attempt])
    return byDelivery
  }

  /** Queues a `webhook.test` event for this endpoint only, whatever it subscribes to. */
  async sendTest(endpointId: string): Promise<{ delivery_id: string; event_id: string }> {
    return withTenant(this.db, async (tx) => {
      const endpoint = await activeEndpoint(tx, endpointId)
      const eventId = randomUUID()
      const body = buildEventBody({
        id: eventId,
        type: TEST_EVENT_TYPE,
        tenant_id: tx.tenantId,
        created_at: new Date(),
        data: { webhook_id: endpoint.id, message: 'A test event from Tenantry: if you can read this, the endpoint works.' },
      })
      const { id } = await deliveries.insertDelivery(tx, { endpointId: endpoint.id, eventId, eventType: TEST_EVENT_TYPE, body })
      await recordAudit(tx, { action: 'webhook.tested', resourceType: 'webhook', resourceId: endpoint.id, changes: { delivery_id: id } })
      return { delivery_id: id, event_id: eventId }
    })
  }

  /** Sends one delivery again (any state but one being sent now), with a fresh retry budget. */
  async retry(endpointId: string, deliveryId: string): Promise<{ delivery_id: string }> {
    return withTenant(this.db, async (tx) => {
      await activeEndpoint(tx, endpointId)
      const status = await deliveries.findDeliveryStatus(tx, endpointId, deliveryId)
      if (status === undefined) throw notFound('webhook delivery', deliveryId)
      if (status === 'delivering') throw new AppError('conflict', 'this delivery is being sent right now; retry it once the attempt is recorded', { reason: 'delivery_in_flight' })
      await deliveries.replay(tx, { endpointId, deliveryId })
      await recordAudit(tx, { action: 'webhook.delivery_retried', resourceType: 'webhook', resourceId: endpointId, changes: { delivery_id: deliveryId, previous_status: status } })
      return { delivery_id: deliveryId }
    })
  }

  /** Replays every delivery created in [since, until) with one of the statuses (default: dlq). */
  async replay(endpointId: string, input: ReplayInput): Promise<{ replayed: number }> {
    const since = input.since === undefined ? undefined : new Date(input.since)
    const until = input.until === undefined ? undefined : new Date(input.until)
    if (since && until && since >= until) throw new AppError('validation_failed', 'since must be before until', { field: 'since' })
    const statuses = input.status ?? ['dlq']
    return withTenant(this.db, async (tx) => {
      await activeEndpoint(tx, endpointId)
      const ids = await deliveries.replay(tx, { endpointId, since, until, statuses })
      await recordAudit(tx, {
        action: 'webhook.replayed',
        resourceType: 'webhook',
        resourceId: endpointId,
        changes: { since: since?.toISOString() ?? null, until: until?.toISOString() ?? null, status: statuses, replayed: ids.length },
      })
      return { replayed: ids.length }
    })
  }
}

/** Deliveries queued for a disabled endpoint would only be dead-lettered: re-enable it first. */
async function activeEndpoint(tx: TenantTx, endpointId: string): Promise<EndpointRow> {
  const endpoint = await repository.findEndpoint(tx, endpointId)
  if (!endpoint) throw notFound('webhook', endpointId)
  if (endpoint.status !== 'active') {
    throw new AppError('conflict', 'this endpoint is disabled; set its status to active first (PATCH /api/v1/webhooks/:id)', { reason: 'endpoint_disabled' })
  }
  return endpoint
}
