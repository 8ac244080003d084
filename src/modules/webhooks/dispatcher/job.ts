// What the dispatcher's parts hand each other: a claimed delivery with its tenant and its claim's
// token, and the actor everything the dispatcher does in a tenant's context runs as.
import type { ClaimedDelivery } from './delivery-store.ts'

export interface Job {
  tenantId: string
  token: string
  delivery: ClaimedDelivery
}

export const SYSTEM_ACTOR = { type: 'system', job: 'webhook-dispatcher' } as const
