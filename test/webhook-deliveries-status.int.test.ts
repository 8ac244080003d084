// GET /api/v1/webhooks/:id/deliveries?status=dlq used to be 400 (seed 000's dead-letter check
// needs it; issue 18 item 15). It filters by one status or several, and the cursor pages through
// exactly the matching deliveries, newest first, none twice.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestApi, type TestApi } from './support/api.ts'
import { call, migratePlan, newOrg, ownerQuery, type Org } from './support/domain.ts'

let api: TestApi
let org: Org
let endpointId: string
const byStatus: Record<string, string[]> = { pending: [], failed: [], dlq: [], delivered: [] }
// Newest first, as the list orders them.
const newestFirst: string[] = []

beforeAll(async () => {
  // No dispatcher: the statuses set below stay as they are.
  api = await createTestApi({ WEBHOOK_DISPATCHER_ENABLED: 'false' })
  org = await newOrg(api)
  await migratePlan(api, 'premium', org)
  const endpoint = await call(api, org.headers, 'POST', '/api/v1/webhooks', { name: 'dlq-check', url: 'http://127.0.0.1:9/in', events: ['inventory.created'] })
  expect(endpoint.statusCode, endpoint.body).toBe(201)
  endpointId = endpoint.json().id
  const statuses = ['dlq', 'pending', 'dlq', 'failed', 'delivered', 'dlq', 'dlq', 'pending', 'dlq']
  for (const [i, status] of statuses.entries()) {
    const test = await call(api, org.headers, 'POST', `/api/v1/webhooks/${endpointId}/test`)
    expect(test.statusCode, test.body).toBe(202)
    const id: string = test.json().delivery_id
    // Distinct creation times, one second apart, so the order is known.
    await ownerQuery(api, "update webhook_deliveries set status = $2, created_at = now() - make_interval(secs => $3) where id = $1", [id, status, 100 - i])
    byStatus[status]!.push(id)
    newestFirst.unshift(id)
  }
})
afterAll(async () => api?.close())

async function listAll(query: string, limit: number): Promise<{ ids: string[]; statuses: string[] }> {
  const ids: string[] = []
  const statuses: string[] = []
  let cursor: string | undefined
  for (let page = 0; page < 20; page++) {
    const response = await call(api, org.headers, 'GET', `/api/v1/webhooks/${endpointId}/deliveries?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`)
    expect(response.statusCode, response.body).toBe(200)
    const body = response.json()
    for (const delivery of body.data) {
      ids.push(delivery.id)
      statuses.push(delivery.status)
    }
    cursor = body.next_cursor ?? undefined
    if (!cursor) break
  }
  return { ids, statuses }
}

it('?status=dlq lists the dead-lettered deliveries only, newest first, across pages', async () => {
  for (const limit of [1, 2, 50]) {
    const { ids, statuses } = await listAll('status=dlq', limit)
    expect(ids, `limit ${limit}`).toEqual(newestFirst.filter((id) => byStatus.dlq!.includes(id)))
    expect(new Set(statuses)).toEqual(new Set(['dlq']))
  }
})

it('takes several statuses, repeated', async () => {
  const { ids } = await listAll('status=failed&status=pending', 2)
  expect(ids).toEqual(newestFirst.filter((id) => [...byStatus.failed!, ...byStatus.pending!].includes(id)))
})

it('without a status lists every delivery', async () => {
  expect((await listAll('', 4)).ids).toEqual(newestFirst)
})

it('a status no delivery has is an empty page; one that does not exist is 400 naming the statuses', async () => {
  expect((await listAll('status=delivering', 5)).ids).toEqual([])
  const bad = await call(api, org.headers, 'GET', `/api/v1/webhooks/${endpointId}/deliveries?status=dead`)
  expect(bad.statusCode).toBe(400)
  expect(bad.json()).toMatchObject({ code: 'validation_failed' })
  expect(bad.body).toContain('dlq')
})

it("another tenant cannot list this endpoint's deliveries, filtered or not", async () => {
  const other = await newOrg(api)
  const response = await call(api, other.headers, 'GET', `/api/v1/webhooks/${endpointId}/deliveries?status=dlq`)
  expect(response.statusCode).toBe(404)
})
