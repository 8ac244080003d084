// What a dispatcher is built with: its tuning (from the configuration, see index.ts) and the
// services it works through.
import type { Dispatcher } from 'undici'
import type { Database } from '../../../db/index.ts'
import type { Logger } from '../../../observability/logger.ts'
import type { Resolver } from '../ssrf/index.ts'
import type { WebhooksService } from '../webhooks.service.ts'

export interface DispatcherSettings {
  allowPrivateTargets: boolean
  retryDelaysMs: readonly number[]
  /** Attempts in flight (claimed, not yet recorded) in this dispatcher. */
  concurrency: number
  perEndpointConcurrency: number
  leaseMs: number
  /** Due deliveries this old with no attempt ended meanwhile: /health calls the dispatcher stalled. */
  stallAfterMs?: number
  /** 0: never disable for persistent failure (410 still disables). */
  disableAfterMs: number
  /** Longest wait between looks at the queue when nothing woke us (other instances' retries). */
  idlePollMs?: number
  jitter?: number
  retryAfterCapMs?: number
}

export interface DispatcherDeps {
  db: Database
  webhooks: WebhooksService
  logger: Logger
  settings: DispatcherSettings
  /** Tests inject resolvers (DNS rebinding); the system resolver otherwise. */
  resolve?: Resolver
  /** Tests inject a receiver origin's dispatcher (one that ignores abort signals); a guarded undici Pool otherwise. */
  createPool?: (origin: string) => Dispatcher
  /** Called once per delivered delivery (usage metering). */
  onDelivered?: (tenantId: string) => void
  random?: () => number
}
