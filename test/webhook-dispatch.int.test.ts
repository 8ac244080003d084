// The dispatcher against a real receiver on 127.0.0.1: signatures that verify with the
// standardwebhooks package and with the source guide's hex HMAC code, retries on the exact
// schedule, Retry-After, 410 Gone, dead letters, and the attempt log.
import { createHmac } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { standardWebhooksKey } from '../src/modules/webhooks/signing/index.ts'
import { renderMetrics, sampleValue } from '../src/observability/metrics.ts'
import { createTestApi, type TestApi } from './support/api.ts'
import { call, createItem, newOrg, ownerQuery, type Org } from './support/domain.ts'
import { startReceiver, type WebhookReceiver } from './support/webhook-receiver.ts'
import { until } from './support/until.ts'

let api: TestApi
let receiver: WebhookReceiver
let org: Org

const DELAYS = [300, 600]

beforeAll(async () => {
  receiver = await startReceiver()
  api = await createTestApi({ WEBHOOK_DISPATCHER_ENABLED: 'true', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_RETRY_DELAYS: DELAYS.join(','), WEBHOOK_MAX_RETRIES: '2' })
  org = await newOrg(api)
  const upgraded = await call(api, api.operator, 'POST', `/api/v1/tenants/${org.tenantId}/migrate`, { targetPlan: 'premium' })
  expect(upgraded.statusCode, upgraded.body).toBe(200)
})
afterAll(async () => {
  await api?.close()
  await receiver?.close()
})

async function endpoint(path: string, body: Record<string, unknown> = {}) {
  const response = await call(api, org.headers, 'POST', '/api/v1/webhooks', { name: path, url: receiver.url(path), events: ['inventory.created'], ...body })
  expect(response.statusCode, response.body).toBe(201)
  return response.json() as { id: string; secret: string }
}

const attemptsOf = (endpointId: string) =>
  ownerQuery<{ attempt: number; outcome: string; status_code: number | null; error: string | null; response_body: string | null; started_at: Date }>(
    api,
    `select a.attempt, a.outcome, a.status_code, a.error, a.response_body, a.started_at from webhook_delivery_attempts a
       join webhook_deliveries d on d.tenant_id = a.tenant_id and d.id = a.delivery_id where d.endpoint_id = $1 order by a.started_at`,
    [endpointId],
  )

describe('a delivery', () => {
  it('arrives signed: standardwebhooks verifies it, and so does the hex HMAC over JSON.stringify(parsed body)', async () => {
    const { id, secret } = await endpoint('/signed')
    const deliveredBefore = sampleValue(await renderMetrics(), 'webhook_deliveries_total', { event: 'inventory.created', status: 'delivered' })
    const item = await createItem(api, org)
    const [request] = await receiver.waitFor(1, { path: '/signed' })
    const headers = request!.headers as Record<string, string>

    const verified = new Webhook(standardWebhooksKey(secret)).verify(request!.body, headers) as { type: string; tenant_id: string; data: { id: string } }
    expect(verified).toMatchObject({ type: 'inventory.created', tenant_id: org.tenantId, data: { item: { id: item.id } } })

    // The source guide's verification: re-stringify the parsed body, hex HMAC with the secret.
    const parsed = JSON.parse(request!.body)
    const expected = createHmac('sha256', secret).update(JSON.stringify(parsed)).digest('hex')
    expect(headers['x-webhook-signature']).toBe(expected)
    expect(headers['x-webhook-event']).toBe('inventory.created')
    expect(headers['x-webhook-id']).toBe(parsed.id)
    expect(headers['webhook-id']).toBe(parsed.id)
    expect(headers['x-tenant-id']).toBe(org.tenantId)

    const attempts = await until(() => attemptsOf(id), (rows) => rows.length === 1)
    expect(attempts[0]).toMatchObject({ attempt: 1, outcome: 'delivered', status_code: 200, error: null })
    const [endpointRow] = await until(
      () => ownerQuery<{ last_success_at: Date | null; failure_count: number }>(api, 'select last_success_at, failure_count from webhook_endpoints where id = $1', [id]),
      (rows) => rows[0]?.last_success_at !== null,
    )
    expect(endpointRow!.failure_count).toBe(0)
    const metrics = await renderMetrics()
    expect(sampleValue(metrics, 'webhook_deliveries_total', { event: 'inventory.created', status: 'delivered' })).toBeGreaterThan(deliveredBefore)
    expect(metrics).toMatch(/^webhook_delivery_duration_seconds_count \d+/m)
  })

  it('reports the dispatcher and the queue in /health', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/health' })
    expect(response.json().checks.webhooks).toMatchObject({ status: 'up', dispatcher: 'running', queue_depth: expect.any(Number), oldest_due_age_s: expect.any(Number) })
  })

  it('carries the endpoint headers next to the signed ones', async () => {
    await endpoint('/custom-headers', { headers: { 'X-Api-Token': 'abc123' } })
    await createItem(api, org)
    const [request] = await receiver.waitFor(1, { path: '/custom-headers' })
    expect(request!.headers['x-api-token']).toBe('abc123')
  })
})

describe('retries', () => {
  it('follow WEBHOOK_RETRY_DELAYS (jitter only adds), then dead-letter after the last retry', async () => {
    receiver.answer((request) => (request.path === '/always-500' ? { status: 500, body: 'x'.repeat(5000) } : { status: 200 }))
    const { id } = await endpoint('/always-500')
    await createItem(api, org)
    const requests = await receiver.waitFor(3, { path: '/always-500' })
    const gaps = [requests[1]!.at - requests[0]!.at, requests[2]!.at - requests[1]!.at]
    for (const [index, gap] of gaps.entries()) {
      expect(gap).toBeGreaterThanOrEqual(DELAYS[index]! - 5) // clocks of two timers; never early by more
    }
    const attempts = await until(() => attemptsOf(id), (rows) => rows.length === 3)
    expect(attempts.map((row) => row.outcome)).toEqual(['failed', 'failed', 'dlq'])
    expect(attempts.map((row) => row.attempt)).toEqual([1, 2, 3])
    expect(attempts[0]!.status_code).toBe(500)
    expect(Buffer.byteLength(attempts[0]!.response_body!)).toBe(1024)
    const [delivery] = await ownerQuery<{ status: string; attempts: number }>(api, 'select status, attempts from webhook_deliveries where endpoint_id = $1', [id])
    expect(delivery).toEqual({ status: 'dlq', attempts: 3 })
    // No fourth request comes.
    await new Promise((resolve) => setTimeout(resolve, DELAYS[1]! * 2))
    expect(receiver.received.filter((request) => request.path === '/always-500')).toHaveLength(3)
    const [endpointRow] = await ownerQuery<{ failure_count: number; status: string }>(api, 'select failure_count, status from webhook_endpoints where id = $1', [id])
    expect(endpointRow).toEqual({ failure_count: 3, status: 'active' })
  })

  it('wait at least as long as Retry-After asks', async () => {
    receiver.answer((request) => (request.path === '/retry-after' ? (request.at && receiver.received.filter((r) => r.path === '/retry-after').length === 1 ? { status: 503, headers: { 'retry-after': '2' } } : { status: 200 }) : { status: 200 }))
    await endpoint('/retry-after')
    await createItem(api, org)
    const requests = await receiver.waitFor(2, { path: '/retry-after', timeoutMs: 10_000 })
    expect(requests[1]!.at - requests[0]!.at).toBeGreaterThanOrEqual(1990)
  })

  it('count a redirect as a failure and never follow it', async () => {
    receiver.answer((request) => (request.path === '/redirect' ? { status: 302, headers: { location: receiver.url('/redirect-target') } } : { status: 200 }))
    const { id } = await endpoint('/redirect', { retry_count: 0 })
    await createItem(api, org)
    const attempts = await until(() => attemptsOf(id), (rows) => rows.length === 1)
    expect(attempts[0]).toMatchObject({ outcome: 'dlq', status_code: 302 })
    expect(receiver.received.filter((request) => request.path === '/redirect-target')).toHaveLength(0)
  })
})

describe('410 Gone', () => {
  it('disables the endpoint at once, dead-letters the delivery and writes an audit entry', async () => {
    receiver.answer((request) => (request.path === '/gone' ? { status: 410 } : { status: 200 }))
    const { id } = await endpoint('/gone')
    await createItem(api, org)
    const [row] = await until(
      () => ownerQuery<{ status: string }>(api, 'select status from webhook_endpoints where id = $1', [id]),
      (rows) => rows[0]?.status === 'disabled',
    )
    expect(row!.status).toBe('disabled')
    const attempts = await attemptsOf(id)
    expect(attempts.map((attempt) => attempt.outcome)).toEqual(['gone'])
    const [delivery] = await ownerQuery<{ status: string }>(api, 'select status from webhook_deliveries where endpoint_id = $1', [id])
    expect(delivery!.status).toBe('dlq')
    const audit = await ownerQuery<{ action: string; actor_type: string }>(api, "select action, actor_type from audit_log where tenant_id = $1 and action = 'webhook.disabled' and resource_id = $2", [org.tenantId, id])
    expect(audit).toEqual([{ action: 'webhook.disabled', actor_type: 'system' }])

    // Later events for the disabled endpoint are not sent.
    await createItem(api, org)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(receiver.received.filter((request) => request.path === '/gone')).toHaveLength(1)
  })
})

describe('timeouts', () => {
  it('an answer slower than timeout_ms is a failed attempt with a timeout error', async () => {
    receiver.answer((request) => (request.path === '/slow' ? { status: 200, delayMs: 1500 } : { status: 200 }))
    const { id } = await endpoint('/slow', { timeout_ms: 200, retry_count: 0 })
    await createItem(api, org)
    const attempts = await until(() => attemptsOf(id), (rows) => rows.length === 1)
    expect(attempts[0]).toMatchObject({ outcome: 'dlq', status_code: null })
    expect(attempts[0]!.error).toMatch(/timeout|Timeout/)
  })
})
