// Demand forecasts on a small known dataset: the daily history of the last N days of order
// lines (cancelled orders excluded), the simple moving average, stored snapshots, the
// forecast.updated events, and who may read or recompute.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, createTestApi, type TestApi } from './support/api.ts'
import { auditActions, call, createItem, createOrder, eventsOf, enableFeatures, newOrg, ownerQuery, type Org } from './support/domain.ts'

let api: TestApi
let org: Org
let item: string
let other: string

const utcDay = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10)

async function orderAt(itemId: string, quantity: number, daysAgo: number, status?: string): Promise<void> {
  const response = await createOrder(api, org, [{ item_id: itemId, quantity }])
  expect(response.statusCode, response.body).toBe(201)
  const { id } = response.json()
  if (status) expect((await call(api, org.headers, 'PATCH', `/api/v1/orders/${id}/status`, { status })).statusCode).toBe(200)
  if (daysAgo > 0) await ownerQuery(api, `update orders set created_at = now() - make_interval(days => $2) where id = $1`, [id, daysAgo])
}

beforeAll(async () => {
  api = await createTestApi()
  org = await newOrg(api)
  await enableFeatures(api, ['advanced_analytics'], org)
  item = (await createItem(api, org, { quantity: 1000 })).id
  other = (await createItem(api, org, { quantity: 1000 })).id
  await orderAt(item, 2, 0)
  await orderAt(item, 3, 0, 'confirmed')
  await orderAt(item, 4, 3)
  await orderAt(item, 6, 10, 'cancelled') // not demand
  await orderAt(item, 50, 40) // outside a 30-day window
  await orderAt(other, 7, 1) // another item
})
afterAll(async () => {
  await api?.close()
})

const forecast = (itemId: string, query = '', headers = org.headers) => call(api, headers, 'GET', `/api/v1/forecasts/${itemId}${query}`)
const recompute = (body: Record<string, unknown> = {}, headers = org.headers) => call(api, headers, 'POST', '/api/v1/forecasts/recompute', body)

describe('GET /api/v1/forecasts/:itemId', () => {
  it('30-day simple moving average by default, with one history entry per UTC day', async () => {
    const response = await forecast(item)
    expect(response.statusCode, response.body).toBe(200)
    const body = response.json()
    expect(body).toMatchObject({ item_id: item, method: 'simple_moving_average', window_days: 30, horizon_days: 30, total_demand: 9, average_daily: 0.3, forecast_quantity: 9 })
    expect(body.history).toHaveLength(30)
    expect(body.history[0].date).toBe(utcDay(29))
    expect(body.history.at(-1)).toEqual({ date: utcDay(0), quantity: 5 })
    expect(body.history.at(-4)).toEqual({ date: utcDay(3), quantity: 4 })
    expect(body.history.filter((day: { quantity: number }) => day.quantity > 0)).toHaveLength(2)
  })

  it('takes the window and horizon from the query', async () => {
    expect((await forecast(item, '?window_days=7&horizon_days=14')).json()).toMatchObject({ window_days: 7, horizon_days: 14, total_demand: 9, average_daily: 1.2857, forecast_quantity: 18 })
    expect((await forecast(item, '?window_days=1')).json()).toMatchObject({ total_demand: 5, average_daily: 5, forecast_quantity: 150 })
    expect((await forecast(item, '?window_days=60')).json()).toMatchObject({ total_demand: 59 })
  })

  it('is read-only: nothing is stored, no event', async () => {
    const events = (await eventsOf(api, org.tenantId, 'forecast.updated')).length
    await forecast(other)
    expect(await ownerQuery(api, 'select 1 from forecasts where item_id = $1', [other])).toEqual([])
    expect((await eventsOf(api, org.tenantId, 'forecast.updated')).length).toBe(events)
  })

  it('validates: window 1-365, known parameters only, 404 for an unknown item', async () => {
    for (const query of ['?window_days=0', '?window_days=366', '?horizon_days=0', '?method=arima']) expect((await forecast(item, query)).statusCode, query).toBe(400)
    expect((await forecast('nope')).statusCode).toBe(400)
    expect((await forecast(crypto.randomUUID())).statusCode).toBe(404)
  })
})

describe('POST /api/v1/forecasts/recompute', () => {
  it('stores a forecast per item, emits forecast.updated for the changed ones, audits once', async () => {
    const first = await recompute()
    expect(first.statusCode, first.body).toBe(200)
    expect(first.json()).toMatchObject({ recomputed: 2, changed: 2, window_days: 30, horizon_days: 30 })
    const stored = await ownerQuery<{ average_daily: string; forecast_quantity: string; method: string; history: unknown[] }>(
      api, 'select average_daily, forecast_quantity, method, history from forecasts where item_id = $1', [item],
    )
    expect(stored[0]).toMatchObject({ average_daily: '0.3000', forecast_quantity: '9.00', method: 'simple_moving_average' })
    expect(stored[0]!.history).toHaveLength(30)
    const events = await eventsOf(api, org.tenantId, 'forecast.updated')
    expect(events.map((event) => event.data.forecast.item_id).sort()).toEqual([item, other].sort())
    expect(events.find((event) => event.data.forecast.item_id === other)!.data.forecast).toMatchObject({ total_demand: 7, forecast_quantity: 7 })

    // Nothing changed: stored again, announced to no one.
    expect((await recompute()).json()).toMatchObject({ recomputed: 2, changed: 0 })
    expect(await eventsOf(api, org.tenantId, 'forecast.updated')).toHaveLength(2)

    // New demand for one item: only that one is news.
    await orderAt(other, 3, 0)
    expect((await recompute()).json()).toMatchObject({ recomputed: 2, changed: 1 })
    expect((await eventsOf(api, org.tenantId, 'forecast.updated')).at(-1)!.data.forecast).toMatchObject({ item_id: other, total_demand: 10 })

    const audit = (await auditActions(api, org.tenantId)).filter((entry) => entry.action === 'forecasts.recomputed')
    expect(audit).toHaveLength(3)
    expect(audit[0]!.changes).toMatchObject({ recomputed: 2, changed: 2, item_ids: 'all' })
  })

  it('for chosen items and parameters; an unknown item is a 404 and nothing is stored', async () => {
    const response = await recompute({ item_ids: [item], window_days: 7, horizon_days: 14 })
    expect(response.json()).toMatchObject({ recomputed: 1, changed: 1, window_days: 7, horizon_days: 14 })
    expect((await ownerQuery(api, 'select forecast_quantity from forecasts where item_id = $1', [item]))[0]).toEqual({ forecast_quantity: '18.00' })

    const before = await ownerQuery(api, 'select * from forecasts where tenant_id = $1 order by item_id', [org.tenantId])
    expect((await recompute({ item_ids: [other, crypto.randomUUID()], window_days: 3 })).statusCode).toBe(404)
    expect(await ownerQuery(api, 'select * from forecasts where tenant_id = $1 order by item_id', [org.tenantId])).toEqual(before)
    for (const body of [{ item_ids: [] }, { item_ids: ['x'] }, { window_days: 0 }, { tenant_id: crypto.randomUUID() }]) {
      expect((await recompute(body)).statusCode, JSON.stringify(body)).toBe(400)
    }
  })

  it('an empty tenant recomputes nothing', async () => {
    const empty = await newOrg(api)
    await enableFeatures(api, ['advanced_analytics'], empty)
    expect((await recompute({}, empty.headers)).json()).toMatchObject({ recomputed: 0, changed: 0 })
  })
})

describe('permissions (DESIGN §8)', () => {
  it('an Analyst reads forecasts but may not recompute (403); a Manager may', async () => {
    const analyst = bearer((await api.addMember(org.token, 'Analyst')).token)
    expect((await forecast(item, '', analyst)).statusCode).toBe(200)
    const refused = await recompute({}, analyst)
    expect(refused.statusCode).toBe(403)
    expect(refused.json()).toMatchObject({ code: 'permission_denied' })
    const manager = bearer((await api.addMember(org.token, 'Manager')).token)
    expect((await recompute({}, manager)).statusCode).toBe(200)
  })
})
