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
  checks: { database: Check & { driver: string }; redis: Check; webhooks: Check }
}

export interface RedisLike {
  ping(): Promise<unknown>
}

export interface HealthDeps {
  db: Database
  redis?: RedisLike
  version: string
}

/**
 * /health: the database is required (down → 503); Redis is optional (down → degraded, because
 * everything falls back to in-process). The webhook check is filled in by the dispatcher issue.
 */
export async function healthReport(deps: HealthDeps): Promise<HealthReport> {
  const [database, redis] = await Promise.all([timed(() => deps.db.ping(1500)), deps.redis ? timed(() => withTimeout(deps.redis!.ping(), 1000, 'redis did not answer')) : Promise.resolve<Check>({ status: 'disabled' })])
  const status = database.status === 'down' ? 'down' : redis.status === 'down' ? 'degraded' : 'ok'
  return {
    status,
    app: 'tenantry',
    version: deps.version,
    uptime_s: Math.round(process.uptime()),
    checks: { database: { ...database, driver: deps.db.kind }, redis, webhooks: { status: 'disabled' } },
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
