// GET /api/v1/tenants/:id/health (DESIGN §9): the seed shape, and the documented status rules.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Redis } from 'ioredis'
import { createRedis } from '../src/cache/redis-client.ts'
import { HEALTH_RULES, TenantHealthService } from '../src/modules/usage/index.ts'
import { createLogger } from '../src/observability/logger.ts'
import { createTestApi, type TestApi } from './support/api.ts'
import { newOrg } from './support/domain.ts'
import { expectOk, expectProblem } from './support/platform.ts'

const logger = createLogger({ LOG_LEVEL: 'silent', LOG_FORMAT: 'json' })
let api: TestApi
let redis: Redis | undefined
beforeAll(async () => {
  redis = process.env.REDIS_URL ? createRedis(process.env.REDIS_URL, logger) : undefined
  api = await createTestApi({ USAGE_FLUSH_INTERVAL_MS: '3600000' }, { redis })
})
afterAll(async () => {
  await api?.close()
  redis?.disconnect()
})

const healthOf = (tenantId: string, headers = api.operator) => api.app.inject({ url: `/api/v1/tenants/${tenantId}/health`, headers })

describe('GET /api/v1/tenants/:id/health', () => {
  it('answers the seed shape for a quiet, healthy tenant', async () => {
    const org = await newOrg(api)
    const body = expectOk(await healthOf(org.tenantId))
    expect(body).toMatchObject({
      tenant_id: org.tenantId,
      tenant_status: 'active',
      status: 'healthy',
      reasons: [],
      checks: {
        database: { status: 'healthy' },
        redis: { status: process.env.REDIS_URL ? 'healthy' : 'not_configured' },
        storage: { status: 'unknown', used_bytes: null, limit_bytes: 10 * 1024 ** 3 },
        api: { status: 'healthy', requests_today: 0, errors_today: 0, error_rate: null },
      },
      metrics: { responseTime: { p95: null, samples: 0 }, errorRate: null },
    })
    expect(body.checks.database.latency_ms).toBeGreaterThanOrEqual(0)
    expect(body.metrics.uptime).toBeGreaterThanOrEqual(0)
    expect(Date.parse(body.lastChecked)).toBeGreaterThan(Date.now() - 60_000)
  })

  it("reports the tenant's p95 and error rate from its own traffic, and storage once a snapshot exists", async () => {
    const org = await newOrg(api)
    for (let i = 0; i < 5; i++) expectOk(await api.app.inject({ url: '/api/v1/tenant', headers: org.headers }))
    await api.services.usageReports.snapshot(org.tenantId)
    const body = expectOk(await healthOf(org.tenantId))
    expect(body.metrics.responseTime.samples).toBe(5)
    expect(body.metrics.responseTime.p95).toBeGreaterThan(0)
    expect(body.metrics.errorRate).toBe(0)
    expect(body.checks.api).toMatchObject({ status: 'healthy', requests_today: 5, errors_today: 0 })
    expect(body.checks.storage).toMatchObject({ status: 'healthy', limit_bytes: 10 * 1024 ** 3 })
    expect(body.checks.storage.used_bytes).toBeGreaterThan(0)
    expect(body.status).toBe('healthy')
  })

  it('is degraded from 5% server errors and unhealthy from 25%, once there is enough traffic to judge', async () => {
    const org = await newOrg(api)
    const meter = api.services.usage
    // Too little traffic: 1 error in 2 requests says nothing yet.
    meter.count(org.tenantId, 'requests', 2)
    meter.count(org.tenantId, 'errors', 1)
    expect(expectOk(await healthOf(org.tenantId))).toMatchObject({ status: 'healthy', metrics: { errorRate: 0.5 } })

    meter.count(org.tenantId, 'requests', HEALTH_RULES.minRequests * 5 - 2) // 100 requests, 1 error
    meter.count(org.tenantId, 'errors', 9) // 10%
    await meter.flush() // flushed and pending counts both count
    const degraded = expectOk(await healthOf(org.tenantId))
    expect(degraded).toMatchObject({ status: 'degraded', metrics: { errorRate: 0.1 }, checks: { api: { status: 'degraded', requests_today: 100, errors_today: 10 } } })
    expect(degraded.reasons).toEqual(["10.0% of today's requests failed with a server error"])

    meter.count(org.tenantId, 'errors', 20) // 30%
    expect(expectOk(await healthOf(org.tenantId))).toMatchObject({ status: 'unhealthy', checks: { api: { status: 'unhealthy' } } })
  })

  it('is degraded when the p95 is over the limit', async () => {
    const org = await newOrg(api)
    for (let i = 0; i < HEALTH_RULES.minLatencySamples; i++) api.services.usage.latency.record(org.tenantId, HEALTH_RULES.p95DegradedMs + 500)
    const body = expectOk(await healthOf(org.tenantId))
    expect(body).toMatchObject({ status: 'degraded', checks: { api: { status: 'degraded' } } })
    expect(body.reasons[0]).toMatch(/^p95 response time 1500 ms/)
  })

  it('is degraded, not unhealthy, when Redis does not answer (everything falls back to in-process)', async () => {
    const org = await newOrg(api)
    const deadRedis = createRedis('redis://127.0.0.1:1', logger)
    try {
      const health = new TenantHealthService(api.testDb.db, api.services.usageReports, deadRedis)
      const body = await health.check(await api.services.tenants.get(org.tenantId))
      expect(body).toMatchObject({ status: 'degraded', checks: { redis: { status: 'degraded' }, database: { status: 'healthy' } } })
      expect(body.reasons).toEqual(['redis does not answer; limits and caches run in-process'])
    } finally {
      deadRedis.disconnect()
    }
  })

  it('is for operators only, and 404s an unknown tenant', async () => {
    const org = await newOrg(api)
    expectProblem(await healthOf(org.tenantId, org.headers), 403, 'forbidden')
    expectProblem(await api.app.inject({ url: `/api/v1/tenants/${org.tenantId}/health` }), 401, 'unauthorized')
    expectProblem(await healthOf(randomUUID()), 404, 'not_found')
  })
})
