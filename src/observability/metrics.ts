import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { PoolStats } from '../db/database.ts'
import { ActiveTenants } from './active-tenants.ts'
import { TenantTraffic, tenantRequestsCounter } from './tenant-traffic.ts'

/**
 * The process's Prometheus registry. One per process (every app in it shares it, as a scrape
 * sees one process); the /metrics route renders it. Counters only ever go up, so tests read
 * a metric before and after and compare.
 */
export const metricsRegistry = new Registry()

/** Permission denials (DESIGN §12). Labels are bounded: 24 permissions, their resources and actions. */
export const rbacDeniedTotal = new Counter({
  name: 'rbac_denied_total',
  help: 'Requests refused with 403 permission_denied, by the permission the route needs',
  labelNames: ['permission', 'resource', 'action'] as const,
  registers: [metricsRegistry],
})

/**
 * Requests refused because they named a tenant the caller may not act in (tenant_mismatch,
 * tenant_access_denied): the cross-tenant attempts seeds 001 and 002 ask to watch. The reason is
 * the only label (two values): tenant ids would make a series per tenant an attacker names.
 */
export const tenantCrossAccessTotal = new Counter({
  name: 'tenant_cross_access_total',
  help: 'Requests refused for naming a tenant the caller may not act in, by refusal code',
  labelNames: ['reason'] as const,
  registers: [metricsRegistry],
})
// Both series exist from the start at 0, so a rate() alert sees the first attempt.
for (const reason of ['tenant_mismatch', 'tenant_access_denied']) tenantCrossAccessTotal.inc({ reason }, 0)

/** Tenant-scoped work reached without (or inside another) tenant context: always a bug, never a caller's fault. */
export const tenantContextErrorsTotal = new Counter({
  name: 'tenant_context_errors_total',
  help: 'TenantContextError raised: tenant-scoped data reached without the right tenant context',
  registers: [metricsRegistry],
})

/** Webhook attempts by event type and outcome (delivered | failed | dlq); event types are a closed list. */
export const webhookDeliveriesTotal = new Counter({
  name: 'webhook_deliveries_total',
  help: 'Webhook delivery attempts by event type and outcome',
  labelNames: ['event', 'status'] as const,
  registers: [metricsRegistry],
})

/** Deliveries due now and not yet attempted (set by the dispatcher after each claim round). */
export const webhookQueueDepth = new Gauge({
  name: 'webhook_queue_depth',
  help: 'Webhook deliveries due and waiting for an attempt',
  registers: [metricsRegistry],
})

/** Time from sending a delivery's request to its answer (or timeout), in seconds. */
export const webhookDeliveryDurationSeconds = new Histogram({
  name: 'webhook_delivery_duration_seconds',
  help: 'Duration of webhook delivery attempts',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [metricsRegistry],
})

/** Requests refused with 429 rate_limited, by the tenant's plan (four values). */
export const rateLimitedTotal = new Counter({
  name: 'rate_limited_total',
  help: 'Requests refused by the per-tenant rate limit',
  labelNames: ['plan'] as const,
  registers: [metricsRegistry],
})

/** Requests or changes refused with quota_exceeded, by limit (api_requests_per_day, max_users, max_items). */
export const quotaExceededTotal = new Counter({
  name: 'quota_exceeded_total',
  help: 'Requests refused because a plan quota was reached',
  labelNames: ['limit'] as const,
  registers: [metricsRegistry],
})

/** Every HTTP request: route is the template (/api/v1/inventory/:id) or "unmatched", never the raw URL. */
export const httpRequestDurationSeconds = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'Duration of HTTP requests by method, route template and status code',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
})

/** Request-traffic statements by verb (src/db instruments both drivers; see db-metrics.ts). */
export const dbQueryDurationSeconds = new Histogram({
  name: 'db_query_duration_seconds',
  help: 'Duration of request-traffic database statements by operation, as the app sees the round trip',
  labelNames: ['operation'] as const,
  // Sub-millisecond buckets: an indexed read on a local server takes about 0.2 ms.
  buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [metricsRegistry],
})

let tenantTraffic = new TenantTraffic({ limit: 100 })

/** The tenant request counter behind tenant_requests_total (the http observer records into it). */
export function tenantRequests(): TenantTraffic {
  return tenantTraffic
}

/** Applies METRICS_TENANT_LABEL_LIMIT; a different limit starts a fresh count (startup only, in practice). */
export function setTenantLabelLimit(limit: number): void {
  if (tenantTraffic.limit !== limit) tenantTraffic = new TenantTraffic({ limit })
}

export const tenantRequestsTotal = tenantRequestsCounter(tenantRequests, metricsRegistry)

/** Distinct tenants served by this instance in the last 5 minutes (active-tenants.ts). */
export const activeTenants = new ActiveTenants()

export const activeTenantsGauge = new Gauge({
  name: 'active_tenants',
  help: 'Distinct tenants that made a request to this instance in the last 5 minutes',
  registers: [metricsRegistry],
  collect() {
    this.set(activeTenants.count())
  },
})

let poolSource: (() => PoolStats) | undefined

/** Where the db_pool_* gauges read at scrape time; the app sets it (one database per process in production). */
export function setPoolStatsSource(source: (() => PoolStats) | undefined): void {
  poolSource = source
}

export function poolStatsSource(): (() => PoolStats) | undefined {
  return poolSource
}

function poolGauge(name: string, help: string, pick: (stats: PoolStats) => number): Gauge {
  return new Gauge({
    name,
    help,
    registers: [metricsRegistry],
    collect() {
      const stats = poolSource?.()
      this.set(stats ? pick(stats) : 0)
    },
  })
}

export const dbPoolConnections = poolGauge('db_pool_connections', 'Open connections of the request-traffic database pool', (stats) => stats.total)
export const dbPoolIdleConnections = poolGauge('db_pool_idle_connections', 'Idle connections of the request-traffic database pool', (stats) => stats.idle)
export const dbPoolWaitingRequests = poolGauge('db_pool_waiting_requests', 'Checkouts waiting for a free connection of the request-traffic database pool', (stats) => stats.waiting)

// Process (CPU, memory, file descriptors) and Node.js (event-loop lag, heap, GC) metrics.
collectDefaultMetrics({ register: metricsRegistry })
// prom-client also exports these three as gauges ending in _total, which `promtool check
// metrics` flags (only counters may end in _total); the same numbers are the sums of
// nodejs_active_handles / _requests / _resources by type, so nothing is lost.
for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) metricsRegistry.removeSingleMetric(name)

/** The registry in the Prometheus text exposition format. */
export function renderMetrics(): Promise<string> {
  return metricsRegistry.metrics()
}

export const metricsContentType = metricsRegistry.contentType

/** One sample's value from rendered text (tests and the console): 0 when the series is absent. */
export function sampleValue(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels)
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue
    const body = line.slice(name.length + 1, line.lastIndexOf('}'))
    const found = Object.fromEntries([...body.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((match) => [match[1], match[2]]))
    if (wanted.every(([key, value]) => found[key] === value)) return Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return 0
}
