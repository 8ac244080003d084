import type { WebhooksCheck } from '../../../observability/health.service.ts'
import type { WebhookDispatcher } from './dispatcher.ts'

/** Oldest due delivery older than this: the dispatchers are not keeping up (or none runs). */
const STALE_QUEUE_S = 300

/** The /health webhooks check: this process's dispatcher and the age of the shared queue. */
export async function webhooksHealth(dispatcher: WebhookDispatcher, enabled: boolean): Promise<WebhooksCheck> {
  const health = await dispatcher.health()
  const stale = health.oldest_due_age_s !== null && health.oldest_due_age_s > STALE_QUEUE_S
  const unreadable = health.queue_depth === null
  return {
    status: stale || unreadable ? 'down' : enabled ? 'up' : 'disabled',
    dispatcher: enabled ? health.state : 'disabled',
    queue_depth: health.queue_depth,
    oldest_due_age_s: health.oldest_due_age_s,
    ...(stale ? { error: `the oldest due delivery has waited ${health.oldest_due_age_s} s` } : unreadable ? { error: 'the queue could not be read' } : {}),
  }
}
