import type { Database } from '../db/index.ts'
import { withTimeout } from '../lib/with-timeout.ts'

export type CheckStatus = 'up' | 'down' | 'disabled'

export interface Check {
  status: CheckStatus
  latency_ms?: number
  error?: string
}

export interface HealthReport {
  status: 'ok' | 'degraded' | 'down'
  app: 'tenantry'
  version: string
  uptime_s: number
  checks: { database: Check & { driver: string }; redis: Check; webhooks: WebhooksCheck }
}

/** The dispatcher of this process and the shared queue (another process may be the dispatcher). */
export interface WebhooksCheck extends Check {
  /** stalled: running, yet no attempt has ended for WEBHOOK_STALL_AFTER_MS while deliveries are due. */
  dispatcher?: 'running' | 'stalled' | 'stopping' | 'stopped' | 'disabled'
  queue_depth?: number | null
  oldest_due_age_s?: number | null
  last_attempt_age_s?: number | null
}

export interface RedisLike {
  ping(): Promise<unknown>
}

export interface HealthDeps {
  db: Database
  redis?: RedisLike
  version: string
  /** Absent: webhooks are not reported. */
  webhooks?: () => Promise<WebhooksCheck>
}

/**
 * /health: the database is required (down → 503); Redis is optional (down → degraded, because
 * everything falls back to in-process). Webhooks are degraded, never down: a stuck queue delays
 * deliveries but every request still works.
 */
export async function healthReport(deps: HealthDeps): Promise<HealthReport> {
  const [database, redis, webhooks] = await Promise.all([
    timed(() => deps.db.ping(1500)),
    deps.redis ? timed(() => withTimeout(deps.redis!.ping(), 1000, 'redis did not answer')) : Promise.resolve<Check>({ status: 'disabled' }),
    deps.webhooks ? deps.webhooks().catch((error: Error): WebhooksCheck => ({ status: 'down', error: error.message })) : Promise.resolve<WebhooksCheck>({ status: 'disabled' }),
  ])
  const status = database.status === 'down' ? 'down' : redis.status === 'down' || webhooks.status === 'down' ? 'degraded' : 'ok'
  return {
    status,
    app: 'tenantry',
    version: deps.version,
    uptime_s: Math.round(process.uptime()),
    checks: { database: { ...database, driver: deps.db.kind }, redis, webhooks },
  }
}

async function timed(check: () => Promise<unknown>): Promise<Check> {
  const started = performance.now()
  try {
    await check()
    return { status: 'up', latency_ms: Math.round((performance.now() - started) * 10) / 10 }
  } catch (error) {
    // The message only (never a connection string): "connect ECONNREFUSED 127.0.0.1:5432".
    return { status: 'down', error: error instanceof Error ? error.message : String(error) }
  }
}
