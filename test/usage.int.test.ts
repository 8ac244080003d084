// Usage metering (DESIGN §11): counted in memory per tenant and UTC day, flushed to usage_daily
// as additive upserts, reported against the plan's limits — with today's unflushed counts.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.ts'
import { createServices } from '../src/services.ts'
import { UsageMeter, UsageService, utcDay, type UsageCounts } from '../src/modules/usage/index.ts'
import { bearer, createTestApi, JWT_SECRET, SUPER_ADMIN_KEY, type TestApi } from './support/api.ts'
import { createItem, newOrg, type Org } from './support/domain.ts'
import { expectOk, expectProblem, ownerRows } from './support/platform.ts'
import { createTestDatabase } from './support/test-database.ts'

let api: TestApi
// No background flush: each test decides when counts reach the database.
beforeAll(async () => {
  api = await createTestApi({ USAGE_FLUSH_INTERVAL_MS: '3600000' })
})
afterAll(() => api?.close())

const today = () => utcDay(Date.now())
const usageOf = (org: Org, query = 'timeRange=7d') => api.app.inject({ url: `/api/v1/usage?${query}`, headers: org.headers })
const storedDay = async (tenantId: string, day = today()) =>
  (await ownerRows<UsageCounts & { items: number | null; users: number | null; storage_bytes: number | null }>(
    api,
    `select requests::int, errors::int, client_errors::int, webhook_deliveries::int, items, users, storage_bytes::float8 as storage_bytes from usage_daily where tenant_id = $1 and day = $2`,
    [tenantId, day],
  ))[0]

describe('counting through the request hook', () => {
  it("counts a tenant's admitted requests and client errors, reports today's unflushed counts, and flushes them once", async () => {
    const org = await newOrg(api)
    for (let i = 0; i < 3; i++) expectOk(await api.app.inject({ url: '/api/v1/tenant', headers: org.headers }))
    expectProblem(await api.app.inject({ url: `/api/v1/inventory/${randomUUID()}`, headers: org.headers }), 404, 'not_found')

    // Before any flush: nothing stored, everything reported (the report's own request is counted after it answers).
    expect(await storedDay(org.tenantId)).toBeUndefined()
    const before = expectOk(await usageOf(org))
    expect(before.series.at(-1)).toMatchObject({ day: today(), requests: 4, errors: 0, client_errors: 1 })
    expect(before.totals).toMatchObject({ requests: 4, client_errors: 1 })

    await api.services.usage.flush()
    expect(await storedDay(org.tenantId)).toMatchObject({ requests: 5, errors: 0, client_errors: 1, webhook_deliveries: 0 })
    const after = expectOk(await usageOf(org))
    expect(after.series.at(-1)).toMatchObject({ requests: 5, client_errors: 1 }) // flushed, not counted twice
  })

  it('does not count requests refused before the tenant was admitted', async () => {
    const org = await newOrg(api)
    const analyst = await api.addMember(org.token, 'Analyst')
    await api.services.usage.flush()
    const base = api.services.usage.unflushed(org.tenantId).get(today())?.requests ?? 0
    expectProblem(await api.app.inject({ url: '/api/v1/usage', headers: bearer(analyst.token) }), 403, 'permission_denied')
    expectProblem(await api.app.inject({ url: '/api/v1/tenant', headers: { authorization: 'Bearer nope', 'x-tenant-id': org.tenantId } }), 401, 'invalid_token')
    expect(api.services.usage.unflushed(org.tenantId).get(today())?.requests ?? 0).toBe(base)
  })

  it("keeps tenants apart: one tenant's traffic is not in another's report", async () => {
    const [a, b] = [await newOrg(api), await newOrg(api)]
    for (let i = 0; i < 4; i++) await api.app.inject({ url: '/api/v1/tenant', headers: a.headers })
    api.services.usage.count(a.tenantId, 'webhook_deliveries', 7)
    await api.services.usage.flush()
    const report = expectOk(await usageOf(b))
    expect(report.tenant_id).toBe(b.tenantId)
    expect(report.totals).toMatchObject({ requests: 0, webhook_deliveries: 0 })
    expect(expectOk(await usageOf(a)).totals).toMatchObject({ requests: 4, webhook_deliveries: 7 })
  })
})

describe('the report', () => {
  it('has one entry per day of the range, oldest first, zero-filled, with totals and the limits of the plan', async () => {
    const org = await newOrg(api)
    await createItem(api, org)
    // Yesterday's row as an earlier flush and snapshot would have left it.
    const yesterday = utcDay(Date.now() - 86_400_000)
    await ownerRows(api, `insert into usage_daily (tenant_id, day, requests, errors, webhook_deliveries, items, users, storage_bytes, snapshot_at) values ($1, $2, 40, 2, 5, 1, 1, 12345, now())`, [org.tenantId, yesterday])
    api.services.usage.count(org.tenantId, 'errors', 1)

    for (const [range, days] of [['7d', 7], ['30d', 30], ['90d', 90]] as const) {
      const report = expectOk(await usageOf(org, `timeRange=${range}`))
      expect(report.series).toHaveLength(days)
      expect(report.from).toBe(utcDay(Date.now() - (days - 1) * 86_400_000))
      expect(report.to).toBe(today())
      expect(report.series.map((day: { day: string }) => day.day)).toEqual([...report.series.map((day: { day: string }) => day.day)].sort())
    }
    const report = expectOk(await usageOf(org))
    expect(report.series.at(-2)).toEqual({ day: yesterday, requests: 40, errors: 2, client_errors: 0, webhook_deliveries: 5, items: 1, users: 1, storage_bytes: 12345 })
    expect(report.series[0]).toMatchObject({ requests: 0, errors: 0, items: null, storage_bytes: null })
    expect(report.totals.requests).toBeGreaterThanOrEqual(41)
    expect(report.totals).toMatchObject({ errors: 3, webhook_deliveries: 5 })
    expect(report.plan).toBe('basic')
    expect(report.current).toMatchObject({ users: 1, items: 1, storage_bytes: 12345 })
    expect(report.limits.max_users).toEqual({ limit: 100, used: 1, remaining: 99, percent: 1 })
    expect(report.limits.max_items).toMatchObject({ limit: 1000, used: 1 })
    expect(report.limits.api_requests_per_day).toMatchObject({ limit: 1000, used: report.series.at(-1).requests })
    expect(report.limits.storage_bytes).toEqual({ limit: 10 * 1024 ** 3, used: 12345, remaining: 10 * 1024 ** 3 - 12345, percent: 0 })
  })

  it('follows a tenant override of the plan limits', async () => {
    const org = await newOrg(api)
    expectOk(await api.app.inject({ method: 'PATCH', url: `/api/v1/tenants/${org.tenantId}`, headers: api.operator, payload: { settings: { limits: { api_requests_per_day: 50 } } } }))
    const report = expectOk(await api.app.inject({ url: `/api/v1/tenants/${org.tenantId}/usage?timeRange=7d`, headers: api.operator }))
    expect(report.limits.api_requests_per_day.limit).toBe(50)
  })

  it('refuses an unknown time range', async () => {
    const org = await newOrg(api)
    expectProblem(await usageOf(org, 'timeRange=1y'), 400, 'validation_failed')
  })
})

describe('GET /api/v1/tenants/:id/usage (platform)', () => {
  it("answers operators with the tenant's report, refuses tenant users, and 404s an unknown tenant", async () => {
    const org = await newOrg(api)
    api.services.usage.count(org.tenantId, 'requests', 3)
    const report = expectOk(await api.app.inject({ url: `/api/v1/tenants/${org.tenantId}/usage?timeRange=30d`, headers: api.operator }))
    expect(report).toMatchObject({ tenant_id: org.tenantId, time_range: '30d' })
    expect(report.series).toHaveLength(30)
    expect(report.series.at(-1).requests).toBeGreaterThanOrEqual(3)
    expect(expectOk(await api.app.inject({ url: `/api/v1/tenants/${org.tenantId}/usage`, headers: api.operator })).series).toHaveLength(30)

    expectProblem(await api.app.inject({ url: `/api/v1/tenants/${org.tenantId}/usage`, headers: org.headers }), 403, 'forbidden')
    expectProblem(await api.app.inject({ url: `/api/v1/tenants/${randomUUID()}/usage`, headers: api.operator }), 404, 'not_found')
    expectProblem(await api.app.inject({ url: `/api/v1/tenants/${org.tenantId}/usage` }), 401, 'unauthorized')
  })
})

describe('flushing', () => {
  const writer = () => UsageService.writer(api.testDb.db)

  it('adds up: two instances flushing into the same day sum their counts', async () => {
    const org = await newOrg(api)
    const one = new UsageMeter({ write: writer(), flushIntervalMs: 60_000 })
    const two = new UsageMeter({ write: writer(), flushIntervalMs: 60_000 })
    one.count(org.tenantId, 'webhook_deliveries', 2)
    two.count(org.tenantId, 'webhook_deliveries', 3)
    one.observe(org.tenantId, 503, 12)
    await Promise.all([one.flush(), two.flush()])
    one.count(org.tenantId, 'webhook_deliveries')
    await one.flush()
    expect(await storedDay(org.tenantId)).toMatchObject({ webhook_deliveries: 6, requests: 1, errors: 1 })
    expect(one.unflushed(org.tenantId).size).toBe(0)
  })

  it('keeps the counts of a failed write for the next flush, and counts taken meanwhile too', async () => {
    const org = await newOrg(api)
    let failNext = true
    const real = writer()
    const meter = new UsageMeter({
      write: async (tenantId, day, counts) => {
        if (failNext) {
          failNext = false
          throw Object.assign(new Error('connection reset'), { code: '08006' })
        }
        await real(tenantId, day, counts)
      },
      flushIntervalMs: 60_000,
    })
    meter.count(org.tenantId, 'requests', 10)
    expect(await meter.flush()).toEqual({ written: 0, kept: 1, dropped: 0 })
    expect(await storedDay(org.tenantId)).toBeUndefined()
    expect(meter.unflushed(org.tenantId).get(today())?.requests).toBe(10)
    meter.count(org.tenantId, 'requests', 5)
    expect(await meter.flush()).toEqual({ written: 1, kept: 0, dropped: 0 })
    expect(await storedDay(org.tenantId)).toMatchObject({ requests: 15 })
  })

  it('drops counts that can never be written (a purged tenant, an id that is no uuid) instead of retrying forever', async () => {
    const meter = new UsageMeter({ write: writer(), flushIntervalMs: 60_000 })
    meter.count(randomUUID(), 'requests')
    meter.count('not-a-uuid', 'requests')
    expect(await meter.flush()).toEqual({ written: 0, kept: 0, dropped: 2 })
    expect(await meter.flush()).toEqual({ written: 0, kept: 0, dropped: 0 })
  })

  it('loses nothing at a clean shutdown: closing the app flushes what it counted', async () => {
    const testDb = await createTestDatabase({ SUPER_ADMIN_KEY, JWT_SECRET, USAGE_FLUSH_INTERVAL_MS: '3600000' })
    try {
      const services = createServices({ config: testDb.config, db: testDb.db })
      const app = await buildApp({ config: testDb.config, db: testDb.db, services })
      const created = await app.inject({ method: 'POST', url: '/api/v1/tenants', headers: bearer(SUPER_ADMIN_KEY), payload: { name: `Shutdown ${randomUUID().slice(0, 6)}` } })
      const tenantId = created.json().id as string
      for (let i = 0; i < 3; i++) {
        const response = await app.inject({ url: '/api/v1/tenant', headers: { ...bearer(SUPER_ADMIN_KEY), 'x-tenant-id': tenantId } })
        expect(response.statusCode, response.body).toBe(200)
      }
      services.usage.count(tenantId, 'webhook_deliveries', 2)
      await app.close()
      const { rows } = await testDb.db.withOwnerSession((s) => s.query<{ requests: number; webhook_deliveries: number }>('select requests::int, webhook_deliveries::int from usage_daily where tenant_id = $1', [tenantId]))
      expect(rows).toEqual([{ requests: 3, webhook_deliveries: 2 }])
    } finally {
      await testDb.close()
    }
  })
})

describe('snapshots', () => {
  it("records today's items, members and estimated storage, which grows with the tenant's data", async () => {
    const org = await newOrg(api)
    await createItem(api, org)
    const first = await api.services.usageReports.snapshot(org.tenantId)
    expect(first).toMatchObject({ items: 1, users: 1 })
    expect(first.storage_bytes).toBeGreaterThan(0)
    for (let i = 0; i < 5; i++) await createItem(api, org, { description: 'x'.repeat(500) })
    await api.addMember(org.token, 'Analyst')
    const second = await api.services.usageReports.snapshot(org.tenantId)
    expect(second).toMatchObject({ items: 6, users: 2 })
    expect(second.storage_bytes).toBeGreaterThan(first.storage_bytes + 5 * 500)
    expect(await storedDay(org.tenantId)).toMatchObject({ items: 6, users: 2, storage_bytes: second.storage_bytes })

    // Another tenant's rows are not in this one's estimate.
    const other = await newOrg(api)
    const empty = await api.services.usageReports.snapshot(other.tenantId)
    expect(empty.items).toBe(0)
    expect(empty.storage_bytes).toBeLessThan(second.storage_bytes)
  })
})
