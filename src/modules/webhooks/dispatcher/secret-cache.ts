// Opening a sealed secret costs a data-key read and two AES-GCM operations; doing it for every
// attempt would double the dispatcher's database work. Entries are keyed by the stored (sealed)
// values, so a rotation — new stored values — is a miss by construction, and an entry holding a
// previous secret ends when that secret's 24 h grace does.
import type { WebhooksService } from '../webhooks.service.ts'
import type { ClaimedDelivery } from './delivery-store.ts'

const MAX_ENTRIES = 10_000
const TTL_MS = 10 * 60_000

interface Entry {
  stored: string
  secrets: string[]
  until: number
}

export class SecretCache {
  private readonly entries = new Map<string, Entry>()

  private readonly webhooks: WebhooksService

  constructor(webhooks: WebhooksService) {
    this.webhooks = webhooks
  }

  /** The active secrets for this delivery's endpoint; runs inside the delivery's tenant context. */
  async get(delivery: ClaimedDelivery): Promise<string[]> {
    const now = Date.now()
    const stored = [delivery.secret, delivery.secret_key_version, delivery.previous_secret, delivery.previous_secret_key_version, delivery.previous_secret_expires_at?.toISOString()].join('|')
    const hit = this.entries.get(delivery.endpoint_id)
    if (hit && hit.stored === stored && hit.until > now) return hit.secrets
    const secrets = await this.webhooks.openSecrets(delivery.endpoint_id, delivery, new Date(now))
    const graceEnds = delivery.previous_secret_expires_at?.getTime()
    const until = graceEnds !== undefined && graceEnds > now ? Math.min(graceEnds, now + TTL_MS) : now + TTL_MS
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear()
    this.entries.set(delivery.endpoint_id, { stored, secrets, until })
    return secrets
  }
}
