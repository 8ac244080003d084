import type { WebhooksCheck } from '../../../observability/health.service.ts'
import type { WebhookDispatcher } from './dispatcher.ts'

/** Oldest due delivery older than this: the dispatchers are not keeping up (or none runs). */
const STALE_QUEUE_S = 300

/**
 * The /health webhooks check: this process's dispatcher and the age of the shared queue. Down
 * (the report degraded) when the queue cannot be read, is stale, or this dispatcher is stalled:
 * running, with deliveries due, and no attempt ended for WEBHOOK_STALL_AFTER_MS (D72).
 */
export async function webhooksHealth(dispatcher: WebhookDispatcher, enabled: boolean): Promise<WebhooksCheck> {
  const health = await dispatcher.health()
  const stale = health.oldest_due_age_s !== null && health.oldest_due_age_s > STALE_QUEUE_S
  const unreadable = health.queue_depth === null
  const stalled = enabled && health.stalled
  return {
    status: stale || unreadable || stalled ? 'down' : enabled ? 'up' : 'disabled',
    dispatcher: !enabled ? 'disabled' : stalled ? 'stalled' : health.state,
    queue_depth: health.queue_depth,
    oldest_due_age_s: health.oldest_due_age_s,
    ...(enabled ? { last_attempt_age_s: health.last_attempt_age_s } : {}),
    ...(unreadable ? { error: 'the queue could not be read' }
      : stalled ? { error: `no webhook attempt has ended for ${health.last_attempt_age_s} s while deliveries are due (the oldest for ${health.oldest_due_age_s} s)` }
      : stale ? { error: `the oldest due delivery has waited ${health.oldest_due_age_s} s` } : {}),
  }
}
