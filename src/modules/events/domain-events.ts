// The one way a module announces a change: a row in domain_events, written in the caller's
// transaction (a transactional outbox, DESIGN §10). The event commits with the change it
// describes or not at all, so a receiver never hears of a change that rolled back and never
// misses one that committed. Each event also queues one webhook delivery per subscribed endpoint
// (webhooks/outbox.ts), in the same transaction.
import type { TenantTx } from '../../db/index.ts'
import { enqueueWebhookDeliveries } from '../webhooks/outbox.ts'
import type { DomainEventData, DomainEventType } from './event-catalog.ts'

export interface DomainEvent<T extends DomainEventType = DomainEventType> {
  id: string
  type: T
  tenant_id: string
  /** UTC, microseconds. Clock time, not the transaction's start, so one change's events keep their order. */
  created_at: string
  data: DomainEventData<T>
}

export async function emitDomainEvent<T extends DomainEventType>(tx: TenantTx, type: T, data: DomainEventData<T>): Promise<DomainEvent<T>> {
  const { rows } = await tx.query<{ id: string; created_at: string }>(
    `insert into domain_events (tenant_id, type, data, created_at) values ($1, $2, $3, clock_timestamp())
     returning id, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_at`,
    [tx.tenantId, type, JSON.stringify(data)],
  )
  const event: DomainEvent<T> = { id: rows[0]!.id, type, tenant_id: tx.tenantId, created_at: rows[0]!.created_at, data }
  // Same transaction: the deliveries commit with the change or not at all.
  await enqueueWebhookDeliveries(tx, event)
  return event
}
