// Webhook endpoints through the HTTP API, and the outbox: every committed domain event queues one
// delivery per subscribed active endpoint in the change's transaction; a rolled-back one none.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApi, type TestApi } from './support/api.ts'
import { auditActions, call, code, createItem, newOrg, ownerQuery, type Org } from './support/domain.ts'

let api: TestApi
let org: Org
let other: Org

const TARGET = 'http://127.0.0.1:9/hook'

async function premium(tenant: Org): Promise<void> {
  const response = await call(api, api.operator, 'POST', `/api/v1/tenants/${tenant.tenantId}/migrate`, { targetPlan: 'premium' })
  expect(response.statusCode, response.body).toBe(200)
}

async function createEndpoint(tenant: Org, body: Record<string, unknown> = {}) {
  const response = await call(api, tenant.headers, 'POST', '/api/v1/webhooks', { name: 'Receiver', url: TARGET, events: ['*'], ...body })
  expect(response.statusCode, response.body).toBe(201)
  return response.json() as { id: string; secret: string; [key: string]: unknown }
}

const deliveriesOf = (endpointId: string) =>
  ownerQuery<{ event_id: string; event_type: string; body: string; status: string }>(api, 'select event_id, event_type, body, status from webhook_deliveries where endpoint_id = $1 order by created_at, id', [endpointId])

beforeAll(async () => {
  api = await createTestApi()
  org = await newOrg(api)
  other = await newOrg(api)
  await premium(org)
  await premium(other)
})
afterAll(async () => {
  await api?.close()
})

describe('the plan feature', () => {
  it('refuses creation on the basic plan with 403 feature_not_enabled, and allows it once settings enable webhooks', async () => {
    const basic = await newOrg(api)
    const refused = await call(api, basic.headers, 'POST', '/api/v1/webhooks', { name: 'x', url: TARGET, events: ['*'] })
    expect(refused.statusCode, refused.body).toBe(403)
    expect(refused.json()).toMatchObject({ code: 'feature_not_enabled' })
    const enabled = await call(api, api.operator, 'PATCH', `/api/v1/tenants/${basic.tenantId}`, { settings: { features: { webhooks: true } } })
    expect(enabled.statusCode, enabled.body).toBe(200)
    await createEndpoint(basic)
  })
})

describe('endpoints', () => {
  it('creates an endpoint with defaults and shows the secret once', async () => {
    const created = await createEndpoint(org, { events: ['inventory.created'], headers: { 'X-Api-Token': 't0k' } })
    expect(created.secret).toMatch(/^[0-9a-f]{64}$/)
    expect(created).toMatchObject({ name: 'Receiver', url: TARGET, events: ['inventory.created'], headers: { 'X-Api-Token': 't0k' }, status: 'active', retry_count: 3, timeout_ms: 30000, failure_count: 0, previous_secret_expires_at: null })

    const fetched = await call(api, org.headers, 'GET', `/api/v1/webhooks/${created.id}`)
    expect(fetched.statusCode).toBe(200)
    expect(fetched.json()).not.toHaveProperty('secret')
    expect(fetched.body).not.toContain(created.secret)
    const listed = await call(api, org.headers, 'GET', '/api/v1/webhooks')
    expect(listed.body).not.toContain(created.secret)
    expect(listed.json().data.map((e: { id: string }) => e.id)).toContain(created.id)

    // Audited, never with the secret.
    const audit = (await auditActions(api, org.tenantId)).filter((entry) => entry.resource_id === created.id)
    expect(audit.map((entry) => entry.action)).toEqual(['webhook.created'])
    expect(JSON.stringify(audit)).not.toContain(created.secret)
    expect(JSON.stringify(audit)).not.toContain('t0k')
  })

  it('lists with cursor pagination', async () => {
    const tenant = await newOrg(api)
    await premium(tenant)
    const ids = []
    for (let i = 0; i < 3; i++) ids.push((await createEndpoint(tenant, { name: `E${i}` })).id)
    const first = (await call(api, tenant.headers, 'GET', '/api/v1/webhooks?limit=2')).json()
    expect(first.data.map((e: { id: string }) => e.id)).toEqual(ids.slice(0, 2))
    expect(first.next_cursor).toEqual(expect.any(String))
    const second = (await call(api, tenant.headers, 'GET', `/api/v1/webhooks?limit=2&cursor=${first.next_cursor}`)).json()
    expect(second).toEqual({ data: [expect.objectContaining({ id: ids[2] })], next_cursor: null })
  })

  it('updates, disables and deletes, auditing each change', async () => {
    const created = await createEndpoint(org)
    const patched = await call(api, org.headers, 'PATCH', `/api/v1/webhooks/${created.id}`, { name: 'Renamed', events: ['orders.created', 'inventory.updated'], retry_count: 5, timeout_ms: 1000, status: 'disabled' })
    expect(patched.statusCode, patched.body).toBe(200)
    expect(patched.json()).toMatchObject({ name: 'Renamed', events: ['orders.created', 'inventory.updated'], retry_count: 5, timeout_ms: 1000, status: 'disabled' })
    const removed = await call(api, org.headers, 'DELETE', `/api/v1/webhooks/${created.id}`)
    expect(removed.statusCode).toBe(204)
    expect((await call(api, org.headers, 'GET', `/api/v1/webhooks/${created.id}`)).statusCode).toBe(404)
    expect((await call(api, org.headers, 'DELETE', `/api/v1/webhooks/${created.id}`)).statusCode).toBe(404)
    const actions = (await auditActions(api, org.tenantId)).filter((entry) => entry.resource_id === created.id)
    expect(actions.map((entry) => entry.action)).toEqual(['webhook.created', 'webhook.updated', 'webhook.deleted'])
    expect(actions[1]!.changes).toMatchObject({ name: { from: 'Receiver', to: 'Renamed' }, status: { from: 'active', to: 'disabled' } })
  })

  it('refuses unknown event types, reserved headers, bad urls and timeouts above a minute with 400', async () => {
    const bad = [
      { events: ['inventory.exploded'] },
      { events: [] },
      { headers: { 'X-Webhook-Signature': 'forged' } },
      { headers: { 'Content-Type': 'text/plain' } },
      { url: 'ftp://example.com/x' },
      { url: 'https://user:pw@example.com/x' },
      { url: 'not a url' },
      { timeout_ms: 60_001 }, // MAX_WEBHOOK_TIMEOUT_MS (D63)
    ]
    for (const override of bad) {
      const response = await call(api, org.headers, 'POST', '/api/v1/webhooks', { name: 'x', url: TARGET, events: ['*'], ...override })
      expect(response.statusCode, JSON.stringify(override)).toBe(400)
      expect(response.json().code).toBe('validation_failed')
    }
    const created = await createEndpoint(org)
    const patched = await call(api, org.headers, 'PATCH', `/api/v1/webhooks/${created.id}`, { events: ['nope'] })
    expect(patched.statusCode).toBe(400)
  })

  it('rotates the secret: a new one shown once, the previous one kept 24 hours', async () => {
    const created = await createEndpoint(org)
    const before = Date.now()
    const rotated = await call(api, org.headers, 'POST', `/api/v1/webhooks/${created.id}/rotate-secret`)
    expect(rotated.statusCode, rotated.body).toBe(200)
    const { secret, previous_secret_expires_at } = rotated.json()
    expect(secret).toMatch(/^[0-9a-f]{64}$/)
    expect(secret).not.toBe(created.secret)
    const expires = Date.parse(previous_secret_expires_at)
    expect(expires - before).toBeGreaterThanOrEqual(24 * 3_600_000 - 1000)
    expect(expires - before).toBeLessThanOrEqual(24 * 3_600_000 + 60_000)
    const fetched = (await call(api, org.headers, 'GET', `/api/v1/webhooks/${created.id}`)).json()
    expect(fetched.previous_secret_expires_at).toBe(previous_secret_expires_at)
    expect(JSON.stringify(fetched)).not.toContain(secret)

    // Without MASTER_KEY the dispatcher reads the stored secrets as they are (decision: see the service).
    const [stored] = await ownerQuery<{ secret: string; previous_secret: string }>(api, 'select secret, previous_secret from webhook_endpoints where id = $1', [created.id])
    expect(stored).toEqual({ secret, previous_secret: created.secret })
    const audit = (await auditActions(api, org.tenantId)).filter((entry) => entry.resource_id === created.id)
    expect(audit.map((entry) => entry.action)).toEqual(['webhook.created', 'webhook.secret_rotated'])
    expect(JSON.stringify(audit)).not.toContain(secret)
    expect(JSON.stringify(audit)).not.toContain(created.secret)
  })

  it('lists the event types with their data schemas', async () => {
    const response = await call(api, org.headers, 'GET', '/api/v1/webhook-events')
    expect(response.statusCode).toBe(200)
    const types = response.json().data as { type: string; description: string; schema: { type: string; properties: Record<string, unknown> } }[]
    expect(types.map((t) => t.type)).toContain('inventory.created')
    const created = types.find((t) => t.type === 'inventory.created')!
    expect(created.schema).toMatchObject({ type: 'object', properties: { item: { type: 'object' } } })
    expect(created.description).toEqual(expect.any(String))
    expect(types.find((t) => t.type === 'webhook.test')).toMatchObject({ schema: { properties: { webhook_id: { type: 'string' } } } })
  })
})

describe('the outbox', () => {
  it('an inventory change queues one delivery per subscribed active endpoint, with the exact event body', async () => {
    const tenant = await newOrg(api)
    await premium(tenant)
    const all = await createEndpoint(tenant, { events: ['*'] })
    const exact = await createEndpoint(tenant, { events: ['inventory.created'] })
    const unsubscribed = await createEndpoint(tenant, { events: ['orders.created'] })
    const disabled = await createEndpoint(tenant, { events: ['*'] })
    expect((await call(api, tenant.headers, 'PATCH', `/api/v1/webhooks/${disabled.id}`, { status: 'disabled' })).statusCode).toBe(200)

    const item = await createItem(api, tenant, { quantity: 7 })
    const [event] = await ownerQuery<{ id: string; created_at: string }>(api, "select id from domain_events where tenant_id = $1 and type = 'inventory.created'", [tenant.tenantId])

    for (const endpoint of [all, exact]) {
      const deliveries = await deliveriesOf(endpoint.id)
      expect(deliveries).toHaveLength(1)
      const [delivery] = deliveries
      expect(delivery).toMatchObject({ event_id: event!.id, event_type: 'inventory.created', status: 'pending' })
      const body = JSON.parse(delivery!.body)
      expect(Object.keys(body)).toEqual(['id', 'type', 'tenant_id', 'created_at', 'data'])
      expect(body).toMatchObject({ id: event!.id, type: 'inventory.created', tenant_id: tenant.tenantId, data: { item: { id: item.id, quantity: 7 } } })
      expect(body.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/)
      expect(JSON.stringify(body)).toBe(delivery!.body)
    }
    expect(await deliveriesOf(unsubscribed.id)).toEqual([])
    expect(await deliveriesOf(disabled.id)).toEqual([])

    // Through the API, newest first.
    const listed = await call(api, tenant.headers, 'GET', `/api/v1/webhooks/${all.id}/deliveries`)
    expect(listed.statusCode, listed.body).toBe(200)
    expect(listed.json()).toMatchObject({ data: [{ endpoint_id: all.id, event_id: event!.id, event_type: 'inventory.created', status: 'pending', attempts: 0 }], next_cursor: null })

    // A change that fails (duplicate item_code → 409) queues nothing.
    const duplicate = await call(api, tenant.headers, 'POST', '/api/v1/inventory', { item_code: item.item_code, name: 'Again' })
    expect(duplicate.statusCode, duplicate.body).toBe(409)
    expect(await deliveriesOf(all.id)).toHaveLength(1)
    expect(await deliveriesOf(exact.id)).toHaveLength(1)

    // The '*' endpoint hears the next event too; the exact one only its type.
    const patched = await call(api, tenant.headers, 'PATCH', `/api/v1/inventory/${item.id}`, { name: 'Renamed' })
    expect(patched.statusCode).toBe(200)
    expect((await deliveriesOf(all.id)).map((d) => d.event_type)).toEqual(['inventory.created', 'inventory.updated'])
    expect(await deliveriesOf(exact.id)).toHaveLength(1)
    const page = (await call(api, tenant.headers, 'GET', `/api/v1/webhooks/${all.id}/deliveries?limit=1`)).json()
    expect(page.data[0].event_type).toBe('inventory.updated')
    const next = (await call(api, tenant.headers, 'GET', `/api/v1/webhooks/${all.id}/deliveries?limit=1&cursor=${page.next_cursor}`)).json()
    expect(next).toMatchObject({ data: [{ event_type: 'inventory.created' }], next_cursor: null })
  })

  it('another tenant’s change never queues for this tenant’s endpoints', async () => {
    const endpoint = await createEndpoint(org)
    await createItem(api, other, { item_code: code() })
    expect(await deliveriesOf(endpoint.id)).toEqual([])
  })
})

describe('isolation', () => {
  it("tenant B cannot see, change, rotate, delete or list deliveries of A's endpoint: 404", async () => {
    const endpoint = await createEndpoint(org)
    await createItem(api, org)
    expect(await deliveriesOf(endpoint.id)).toHaveLength(1)
    const url = `/api/v1/webhooks/${endpoint.id}`
    expect((await call(api, other.headers, 'GET', url)).statusCode).toBe(404)
    expect((await call(api, other.headers, 'PATCH', url, { name: 'stolen' })).statusCode).toBe(404)
    expect((await call(api, other.headers, 'POST', `${url}/rotate-secret`)).statusCode).toBe(404)
    expect((await call(api, other.headers, 'GET', `${url}/deliveries`)).statusCode).toBe(404)
    expect((await call(api, other.headers, 'DELETE', url)).statusCode).toBe(404)
    const listed = (await call(api, other.headers, 'GET', '/api/v1/webhooks')).json()
    expect(listed.data.map((e: { id: string }) => e.id)).not.toContain(endpoint.id)
    const intact = (await call(api, org.headers, 'GET', url)).json()
    expect(intact.name).toBe('Receiver')
  })
})
