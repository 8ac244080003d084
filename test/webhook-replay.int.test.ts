// Test events, single and bulk replay, the attempt log, rotation seen by a receiver, and
// isolation: one tenant can neither see nor replay another's endpoints or deliveries.
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { standardWebhooksKey, verifyLegacySignature } from '../src/modules/webhooks/signing/index.ts'
import { createTestApi, type TestApi } from './support/api.ts'
import { call, createItem, migratePlan, newOrg, type Org, ownerQuery } from './support/domain.ts'
import { startReceiver, type WebhookReceiver } from './support/webhook-receiver.ts'
import { until } from './support/until.ts'

let api: TestApi
let receiver: WebhookReceiver
let org: Org
let other: Org

beforeAll(async () => {
  receiver = await startReceiver()
  api = await createTestApi({ WEBHOOK_DISPATCHER_ENABLED: 'true', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_RETRY_DELAYS: '100', WEBHOOK_MAX_RETRIES: '0' })
  org = await newOrg(api)
  other = await newOrg(api)
  await migratePlan(api, 'premium', org, other)
})
afterAll(async () => {
  await api?.close()
  await receiver?.close()
})

async function endpoint(tenant: Org, path: string, events = ['inventory.created']) {
  const response = await call(api, tenant.headers, 'POST', '/api/v1/webhooks', { name: path, url: receiver.url(path), events })
  expect(response.statusCode, response.body).toBe(201)
  return response.json() as { id: string; secret: string }
}

async function deliveriesOf(tenant: Org, endpointId: string) {
  const response = await call(api, tenant.headers, 'GET', `/api/v1/webhooks/${endpointId}/deliveries`)
  expect(response.statusCode, response.body).toBe(200)
  return response.json().data as { id: string; status: string; event_id: string; attempts: number; attempt_log: { attempt: number; outcome: string; status_code: number | null }[] }[]
}

describe('POST /webhooks/:id/test', () => {
  it('sends a signed webhook.test event to that endpoint even if it subscribes to other events', async () => {
    const { id, secret } = await endpoint(org, '/test-event')
    const response = await call(api, org.headers, 'POST', `/api/v1/webhooks/${id}/test`)
    expect(response.statusCode, response.body).toBe(202)
    const { event_id } = response.json()
    const [request] = await receiver.waitFor(1, { path: '/test-event' })
    const event = new Webhook(standardWebhooksKey(secret)).verify(request!.body, request!.headers as Record<string, string>) as { id: string; type: string; data: { webhook_id: string } }
    expect(event).toMatchObject({ id: event_id, type: 'webhook.test', data: { webhook_id: id } })
  })

  it('refuses a disabled endpoint with 409 and queues nothing', async () => {
    const { id } = await endpoint(org, '/disabled-test')
    expect((await call(api, org.headers, 'PATCH', `/api/v1/webhooks/${id}`, { status: 'disabled' })).statusCode).toBe(200)
    const response = await call(api, org.headers, 'POST', `/api/v1/webhooks/${id}/test`)
    expect(response.statusCode).toBe(409)
    expect(response.json()).toMatchObject({ code: 'conflict', reason: 'endpoint_disabled' })
    expect(await deliveriesOf(org, id)).toEqual([])
  })
})

describe('replay', () => {
  it('retries one dead-lettered delivery with a fresh budget, keeping its attempt history', async () => {
    let fail = true
    receiver.answer((request) => (request.path === '/replay-one' && fail ? { status: 500, body: 'down for maintenance' } : { status: 200 }))
    const { id } = await endpoint(org, '/replay-one')
    await createItem(api, org)
    const [dead] = await until(() => deliveriesOf(org, id), (rows) => rows[0]?.status === 'dlq')
    expect(dead!.attempt_log).toEqual([expect.objectContaining({ attempt: 1, outcome: 'dlq', status_code: 500, response_body: 'down for maintenance' })])

    fail = false
    const retried = await call(api, org.headers, 'POST', `/api/v1/webhooks/${id}/deliveries/${dead!.id}/retry`)
    expect(retried.statusCode, retried.body).toBe(202)
    const [delivered] = await until(() => deliveriesOf(org, id), (rows) => rows[0]?.status === 'delivered')
    expect(delivered!.attempt_log.map((attempt) => [attempt.attempt, attempt.outcome])).toEqual([[1, 'dlq'], [2, 'delivered']])
    const requests = receiver.received.filter((request) => request.path === '/replay-one')
    expect(requests).toHaveLength(2)
    expect(JSON.parse(requests[1]!.body).id).toBe(dead!.event_id) // the same event id: the receiver's idempotency key
  })

  it('replays in bulk only the deliveries in [since, until) with the given statuses', async () => {
    let fail = true
    receiver.answer((request) => (request.path === '/replay-bulk' && fail ? { status: 500 } : { status: 200 }))
    const { id } = await endpoint(org, '/replay-bulk')
    await createItem(api, org)
    await createItem(api, org)
    await until(() => deliveriesOf(org, id), (rows) => rows.length === 2 && rows.every((row) => row.status === 'dlq'))
    const boundary = new Date(Date.now() + 5)
    await new Promise((resolve) => setTimeout(resolve, 20))
    await createItem(api, org)
    await until(() => deliveriesOf(org, id), (rows) => rows.length === 3 && rows.every((row) => row.status === 'dlq'))
    fail = false

    const before = receiver.received.filter((request) => request.path === '/replay-bulk').length
    const replayed = await call(api, org.headers, 'POST', `/api/v1/webhooks/${id}/replay`, { until: boundary.toISOString() })
    expect(replayed.statusCode, replayed.body).toBe(202)
    expect(replayed.json()).toEqual({ replayed: 2 })
    const rows = await until(() => deliveriesOf(org, id), (list) => list.filter((row) => row.status === 'delivered').length === 2)
    expect(rows.map((row) => row.status).sort()).toEqual(['delivered', 'delivered', 'dlq'])
    expect(receiver.received.filter((request) => request.path === '/replay-bulk').length).toBe(before + 2)

    // Nothing dead-lettered is left before the boundary: replaying again finds nothing.
    const again = await call(api, org.headers, 'POST', `/api/v1/webhooks/${id}/replay`, { until: boundary.toISOString() })
    expect(again.json()).toEqual({ replayed: 0 })
    const bad = await call(api, org.headers, 'POST', `/api/v1/webhooks/${id}/replay`, { since: boundary.toISOString(), until: boundary.toISOString() })
    expect(bad.statusCode).toBe(400)
    const badStatus = await call(api, org.headers, 'POST', `/api/v1/webhooks/${id}/replay`, { status: ['delivering'] })
    expect(badStatus.statusCode).toBe(400)
  })
})

describe('secret rotation', () => {
  it('signs with both secrets during the grace period; the legacy header uses the new one', async () => {
    const { id, secret: oldSecret } = await endpoint(org, '/rotation')
    const rotated = await call(api, org.headers, 'POST', `/api/v1/webhooks/${id}/rotate-secret`)
    const newSecret = rotated.json().secret as string
    await createItem(api, org)
    const [request] = await receiver.waitFor(1, { path: '/rotation' })
    const headers = request!.headers as Record<string, string>
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2)
    expect(() => new Webhook(standardWebhooksKey(oldSecret)).verify(request!.body, headers)).not.toThrow()
    expect(() => new Webhook(standardWebhooksKey(newSecret)).verify(request!.body, headers)).not.toThrow()
    expect(verifyLegacySignature(request!.body, headers['x-webhook-signature']!, newSecret)).toBe(true)
  })
})

describe('isolation', () => {
  it("a tenant cannot see, retry, replay or test another tenant's endpoint or deliveries", async () => {
    receiver.answer((request) => (request.path === '/isolated' ? { status: 500 } : { status: 200 }))
    const { id } = await endpoint(other, '/isolated')
    await createItem(api, other)
    const [dead] = await until(() => deliveriesOf(other, id), (rows) => rows[0]?.status === 'dlq')

    for (const [method, url, body] of [
      ['GET', `/api/v1/webhooks/${id}/deliveries`, undefined],
      ['POST', `/api/v1/webhooks/${id}/deliveries/${dead!.id}/retry`, undefined],
      ['POST', `/api/v1/webhooks/${id}/replay`, {}],
      ['POST', `/api/v1/webhooks/${id}/test`, undefined],
    ] as const) {
      const response = await call(api, org.headers, method, url, body)
      expect(response.statusCode, `${method} ${url}`).toBe(404)
    }
    // A delivery id of the other tenant under one's own endpoint matches nothing either.
    const own = await endpoint(org, '/own')
    const crossed = await call(api, org.headers, 'POST', `/api/v1/webhooks/${own.id}/deliveries/${dead!.id}/retry`)
    expect(crossed.statusCode).toBe(404)
    const [still] = await ownerQuery<{ status: string; attempts: number }>(api, 'select status, attempts from webhook_deliveries where id = $1', [dead!.id])
    expect(still).toEqual({ status: 'dlq', attempts: 1 })
  })
})
