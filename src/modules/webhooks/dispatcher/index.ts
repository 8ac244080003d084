import type { Config } from '../../../config/index.ts'
import { WebhookDispatcher, type DispatcherDeps } from './dispatcher.ts'

export { WebhookDispatcher, type DispatcherHealth, type DispatcherSettings, type DispatcherState } from './dispatcher.ts'

type DispatcherConfig = Pick<
  Config,
  'WEBHOOK_ALLOW_PRIVATE_TARGETS' | 'WEBHOOK_RETRY_DELAYS' | 'WEBHOOK_CONCURRENCY' | 'WEBHOOK_ENDPOINT_CONCURRENCY' | 'WEBHOOK_LEASE_MS' | 'WEBHOOK_DISABLE_AFTER' | 'WEBHOOK_STALL_AFTER_MS'
>

/** The dispatcher with its settings from the configuration (server process and `tenantry worker`). */
export function createDispatcher(config: DispatcherConfig, deps: Omit<DispatcherDeps, 'settings'>): WebhookDispatcher {
  return new WebhookDispatcher({
    ...deps,
    settings: {
      allowPrivateTargets: config.WEBHOOK_ALLOW_PRIVATE_TARGETS,
      retryDelaysMs: config.WEBHOOK_RETRY_DELAYS,
      concurrency: config.WEBHOOK_CONCURRENCY,
      perEndpointConcurrency: config.WEBHOOK_ENDPOINT_CONCURRENCY,
      leaseMs: config.WEBHOOK_LEASE_MS,
      disableAfterMs: config.WEBHOOK_DISABLE_AFTER,
      stallAfterMs: config.WEBHOOK_STALL_AFTER_MS,
    },
  })
}
export { webhooksHealth } from './health-check.ts'
