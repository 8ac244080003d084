// GET /api/v1/tenants/:id/health (DESIGN §9): one tenant's view of the service, from this
// instance — its database context, Redis, its storage against any limit, and its API traffic.
import { runWithTenant } from '../../context/index.ts'
import { withTenantStatement, type Database } from '../../db/index.ts'
import { withTimeout } from '../../lib/with-timeout.ts'
import type { PlanDefaults } from '../plans/index.ts'
import { storageLimitOf, type UsageService } from './usage.service.ts'

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy'
type CheckStatus = HealthStatus | 'unknown' | 'not_configured'

export interface HealthCheck {
  status: CheckStatus
  [detail: string]: unknown
}

export interface TenantHealth {
  tenant_id: string
  tenant_status: string
  status: HealthStatus
  /** Why the status is not healthy, one short line per rule that fired. */
  reasons: string[]
  checks: { database: HealthCheck; redis: HealthCheck; storage: HealthCheck; api: HealthCheck }
  metrics: {
    responseTime: { p95: number | null; samples: number; window_s: number }
    errorRate: number | null
    /** Seconds this instance has been up. */
    uptime: number
  }
  lastChecked: string
}

// The rules (docs/decisions.md D40). Rates only count once there is enough traffic to mean
// something: two failures out of three requests is noise, not an outage.
export const HEALTH_RULES = {
  minRequests: 20,
  errorRateDegraded: 0.05,
  errorRateUnhealthy: 0.25,
  minLatencySamples: 20,
  p95DegradedMs: 1000,
  storageDegradedPercent: 90,
  storageUnhealthyPercent: 100,
  checkTimeoutMs: 1500,
} as const

export interface RedisPing {
  ping(): Promise<unknown>
}

export interface TenantForHealth {
  id: string
  status: string
  configuration: PlanDefaults
}

export class TenantHealthService {
  private readonly db: Database
  private readonly usage: UsageService
  private readonly redis?: RedisPing

  constructor(
    db: Database,
    usage: UsageService,
    redis?: RedisPing,
  ) {
    this.db = db
    this.usage = usage
    this.redis = redis
  }

  async check(tenant: TenantForHealth): Promise<TenantHealth> {
    const reasons: string[] = []
    const [database, redis] = await Promise.all([this.databaseCheck(tenant.id), this.redisCheck()])
    if (database.status === 'unhealthy') reasons.push('the database does not answer in the tenant context')
    if (redis.status === 'degraded') reasons.push('redis does not answer; limits and caches run in-process')

    // Without the database, only this instance's in-memory counts are known.
    const today = database.status === 'healthy' ? await this.usage.today(tenant.id).catch(() => undefined) : undefined
    const latency = this.usage.meter.latency.summary(tenant.id)
    const storage = storageCheck(today?.storage_bytes ?? null, today?.storage_measured_at ?? null, storageLimitOf(tenant.configuration), reasons)
    const requests = today?.requests ?? null
    const errorRate = requests ? round4((today?.errors ?? 0) / requests) : null
    const api = apiCheck(requests, today?.errors ?? null, errorRate, latency, reasons)

    const checks = { database, redis, storage, api }
    return {
      tenant_id: tenant.id,
      tenant_status: tenant.status,
      status: worst(Object.values(checks).map((check) => check.status)),
      reasons,
      checks,
      metrics: { responseTime: latency, errorRate, uptime: Math.round(process.uptime()) },
      lastChecked: new Date().toISOString(),
    }
  }

  /** One statement in the tenant's own context: the path every request of the tenant takes (role, RLS). */
  private async databaseCheck(tenantId: string): Promise<HealthCheck> {
    const started = performance.now()
    try {
      await runWithTenant(tenantId, () => withTimeout(withTenantStatement(this.db, (tx) => tx.query('select 1')), HEALTH_RULES.checkTimeoutMs, 'database did not answer'))
      return { status: 'healthy', latency_ms: elapsed(started) }
    } catch (error) {
      return { status: 'unhealthy', error: messageOf(error) }
    }
  }

  private async redisCheck(): Promise<HealthCheck> {
    if (!this.redis) return { status: 'not_configured' }
    const started = performance.now()
    try {
      await withTimeout(this.redis.ping(), HEALTH_RULES.checkTimeoutMs, 'redis did not answer')
      return { status: 'healthy', latency_ms: elapsed(started) }
    } catch (error) {
      return { status: 'degraded', error: messageOf(error) }
    }
  }
}

function storageCheck(used: number | null, measuredAt: Date | null, limit: number | null, reasons: string[]): HealthCheck {
  const detail = { used_bytes: used, limit_bytes: limit, measured_at: measuredAt?.toISOString() ?? null }
  if (used === null) return { status: 'unknown', ...detail, percent: null }
  if (limit === null || limit <= 0) return { status: 'healthy', ...detail, percent: null }
  const percent = Math.round((used / limit) * 1000) / 10
  if (percent >= HEALTH_RULES.storageUnhealthyPercent) {
    reasons.push(`storage at ${percent}% of the plan's limit`)
    return { status: 'unhealthy', ...detail, percent }
  }
  if (percent >= HEALTH_RULES.storageDegradedPercent) {
    reasons.push(`storage at ${percent}% of the plan's limit`)
    return { status: 'degraded', ...detail, percent }
  }
  return { status: 'healthy', ...detail, percent }
}

function apiCheck(requests: number | null, errors: number | null, errorRate: number | null, latency: TenantHealth['metrics']['responseTime'], reasons: string[]): HealthCheck {
  const detail = { requests_today: requests, errors_today: errors, error_rate: errorRate, p95_ms: latency.p95 }
  let status: HealthStatus = 'healthy'
  if (errorRate !== null && requests !== null && requests >= HEALTH_RULES.minRequests) {
    if (errorRate >= HEALTH_RULES.errorRateUnhealthy) status = 'unhealthy'
    else if (errorRate >= HEALTH_RULES.errorRateDegraded) status = 'degraded'
    if (status !== 'healthy') reasons.push(`${(errorRate * 100).toFixed(1)}% of today's requests failed with a server error`)
  }
  if (latency.p95 !== null && latency.samples >= HEALTH_RULES.minLatencySamples && latency.p95 >= HEALTH_RULES.p95DegradedMs) {
    if (status === 'healthy') status = 'degraded'
    reasons.push(`p95 response time ${latency.p95} ms over the last ${latency.samples} requests`)
  }
  if (requests === null && latency.samples === 0) return { status: 'unknown', ...detail }
  return { status, ...detail }
}

const RANK: Record<CheckStatus, number> = { healthy: 0, unknown: 0, not_configured: 0, degraded: 1, unhealthy: 2 }

function worst(statuses: CheckStatus[]): HealthStatus {
  const rank = Math.max(...statuses.map((status) => RANK[status]))
  return rank === 2 ? 'unhealthy' : rank === 1 ? 'degraded' : 'healthy'
}

const elapsed = (started: number) => Math.round((performance.now() - started) * 10) / 10
const round4 = (value: number) => Math.round(value * 10_000) / 10_000
// The message only (never a connection string): "connect ECONNREFUSED 127.0.0.1:5432".
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error))
