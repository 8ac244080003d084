// GET /metrics (DESIGN §12): Prometheus text that promtool accepts without a warning, route
// templates (never raw URLs), bounded tenant series, database and pool metrics, METRICS_TOKEN
// and PROMETHEUS_METRICS_ENABLED.
import { spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp, type App } from '../src/app.ts'
import { sampleValue, tenantRequests } from '../src/observability/metrics.ts'
import { bearer, createTestApi, SUPER_ADMIN_KEY, type TestApi } from './support/api.ts'
import { createItem, newOrg, type Org } from './support/domain.ts'

// promtool is in Debian's `prometheus` package; without it the lint test is reported as skipped.
const hasPromtool = spawnSync('promtool', ['--version']).error === undefined
const promtool = (exposition: string) => {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' })
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() }
}

const METRICS_TOKEN = 'metrics-scrape-token-0123456789abcdef'

let api: TestApi
let org: Org
let other: Org
let itemId: string

const scrape = async (app: App = api.app) => {
  const response = await app.inject('/metrics')
  expect(response.statusCode, response.body).toBe(200)
  return response.body
}
const seriesOf = (text: string, name: string) => text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))

beforeAll(async () => {
  api = await createTestApi()
  org = await newOrg(api)
  other = await newOrg(api)
  itemId = (await createItem(api, org)).id
  // Traffic: reads by id (one route template, many URLs), a denial, an unknown route, a bad URL.
  for (let i = 0; i < 3; i++) await api.app.inject({ url: `/api/v1/inventory/${itemId}`, headers: org.headers })
  await api.app.inject({ url: `/api/v1/inventory/${randomUUID()}`, headers: org.headers })
  await api.app.inject({ url: '/api/v1/inventory', headers: other.headers })
  const analyst = await api.addMember(org.token, 'Analyst')
  await api.app.inject({ method: 'POST', url: '/api/v1/inventory', headers: bearer(analyst.token), payload: { item_code: 'X-1', name: 'x' } })
  await api.app.inject('/no-such-route/secret-path-segment?token=query-secret')
  await api.app.inject('/%zz')
})
afterAll(async () => {
  await api?.close()
})

describe('GET /metrics', () => {
  it('serves the Prometheus text format outside /api, without a tenant or a token', async () => {
    const response = await api.app.inject('/metrics')
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/)
    for (const family of ['http_request_duration_seconds', 'tenant_requests_total', 'db_query_duration_seconds', 'db_pool_connections', 'active_tenants', 'rbac_denied_total', 'webhook_queue_depth', 'nodejs_eventloop_lag_seconds', 'process_cpu_seconds_total']) {
      expect(response.body).toContain(`# TYPE ${family} `)
    }
  })

  it.runIf(hasPromtool)('passes `promtool check metrics` with no warning after traffic', async () => {
    const text = await scrape()
    const { status, output } = promtool(text)
    expect(output).toBe('')
    expect(status).toBe(0)
  })

  it.skipIf(hasPromtool)('promtool check metrics — SKIPPED: promtool is not on PATH (apt-get install prometheus)', () => {})

  it('labels requests with the route template, never the URL; unmatched requests with a fixed value', async () => {
    const text = await scrape()
    const count = (labels: Record<string, string>) => sampleValue(text, 'http_request_duration_seconds_count', labels)
    expect(count({ method: 'GET', route: '/api/v1/inventory/:id', status: '200' })).toBeGreaterThanOrEqual(3)
    expect(count({ method: 'GET', route: '/api/v1/inventory/:id', status: '404' })).toBeGreaterThanOrEqual(1)
    expect(count({ method: 'POST', route: '/api/v1/inventory', status: '403' })).toBeGreaterThanOrEqual(1)
    expect(count({ method: 'GET', route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(1)
    expect(count({ method: 'GET', route: 'unmatched', status: '400' })).toBeGreaterThanOrEqual(1)
    expect(text).not.toContain(itemId)
    expect(text).not.toContain('secret-path-segment')
    expect(text).not.toContain('query-secret')
  })

  it('counts requests per tenant and the tenants seen in the last minutes', async () => {
    const before = await scrape()
    await api.app.inject({ url: '/api/v1/inventory', headers: org.headers })
    await api.app.inject({ url: '/api/v1/inventory', headers: org.headers })
    const after = await scrape()
    const delta = sampleValue(after, 'tenant_requests_total', { tenant: org.tenantId }) - sampleValue(before, 'tenant_requests_total', { tenant: org.tenantId })
    expect(delta).toBe(2)
    expect(sampleValue(after, 'tenant_requests_total', { tenant: other.tenantId })).toBeGreaterThanOrEqual(1)
    expect(seriesOf(after, 'active_tenants')[0]).toMatch(/^active_tenants [2-9]\d*$/)
  })

  it('times database statements by a closed set of operations and reads the pool at scrape', async () => {
    const text = await scrape()
    const operations = seriesOf(text, 'db_query_duration_seconds_count').map((line) => /operation="([^"]+)"/.exec(line)![1])
    expect(operations.sort()).toEqual(['commit', 'delete', 'insert', 'other', 'rollback', 'select', 'update'])
    expect(sampleValue(text, 'db_query_duration_seconds_count', { operation: 'select' })).toBeGreaterThan(0)
    expect(sampleValue(text, 'db_query_duration_seconds_count', { operation: 'insert' })).toBeGreaterThan(0)
    // PGlite commits inside its own transaction(); with pg the COMMIT round trip is timed too.
    if (api.testDb.db.kind === 'postgres') expect(sampleValue(text, 'db_query_duration_seconds_count', { operation: 'commit' })).toBeGreaterThan(0)
    const pool = api.testDb.db.poolStats()
    expect(seriesOf(text, 'db_pool_connections')[0]).toBe(`db_pool_connections ${pool.total}`)
    expect(seriesOf(text, 'db_pool_waiting_requests')).toHaveLength(1)
    expect(seriesOf(text, 'db_pool_idle_connections')).toHaveLength(1)
  })

  it('keeps 100,000 tenants to METRICS_TENANT_LABEL_LIMIT + 1 series, and still lints', async () => {
    const before = await scrape()
    const traffic = tenantRequests()
    const recorded = traffic.recordedTotal()
    for (let i = 0; i < 100_000; i++) traffic.record(randomUUID())
    const text = await scrape()
    const series = seriesOf(text, 'tenant_requests_total')
    expect(series.length).toBeLessThanOrEqual(api.testDb.config.METRICS_TENANT_LABEL_LIMIT + 1)
    expect(traffic.recordedTotal()).toBe(recorded + 100_000)
    // Series seen before keep their values or grow (nothing exported goes down).
    for (const line of seriesOf(before, 'tenant_requests_total')) {
      const tenant = /tenant="([^"]+)"/.exec(line)![1]!
      const now = sampleValue(text, 'tenant_requests_total', { tenant })
      if (series.some((candidate) => candidate.includes(`"${tenant}"`))) expect(now).toBeGreaterThanOrEqual(Number(line.split(' ')[1]))
    }
    if (hasPromtool) expect(promtool(text)).toEqual({ status: 0, output: '' })
  })
})

describe('METRICS_TOKEN and PROMETHEUS_METRICS_ENABLED', () => {
  let guarded: App
  let disabled: App
  beforeAll(async () => {
    guarded = await buildApp({ config: { ...api.testDb.config, METRICS_TOKEN }, db: api.testDb.db })
    disabled = await buildApp({ config: { ...api.testDb.config, PROMETHEUS_METRICS_ENABLED: false }, db: api.testDb.db })
    await Promise.all([guarded.ready(), disabled.ready()])
  })
  afterAll(async () => {
    await guarded?.close()
    await disabled?.close()
  })

  it('refuses a scrape without the token, or with another one, as 401 problem+json', async () => {
    for (const headers of [{}, bearer('wrong-token'), bearer(`${METRICS_TOKEN}x`), { authorization: METRICS_TOKEN }, bearer(SUPER_ADMIN_KEY)]) {
      const response = await guarded.inject({ url: '/metrics', headers })
      expect(response.statusCode).toBe(401)
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(response.headers['www-authenticate']).toBe('Bearer realm="metrics"')
      expect(response.json()).toMatchObject({ code: 'unauthorized', status: 401 })
    }
  })

  it('serves the scrape with Authorization: Bearer <METRICS_TOKEN>', async () => {
    const response = await guarded.inject({ url: '/metrics', headers: bearer(METRICS_TOKEN) })
    expect(response.statusCode).toBe(200)
    expect(response.body).toContain('# TYPE http_request_duration_seconds histogram')
  })

  it('is not served when PROMETHEUS_METRICS_ENABLED=false', async () => {
    const response = await disabled.inject('/metrics')
    expect(response.statusCode).toBe(404)
    expect(response.json()).toMatchObject({ code: 'route_not_found' })
  })
})
