// BOLA: for every route that takes an id (in the path or in the body), another tenant's id
// answers 404, exactly like an id that never existed, and changes nothing. The victim's rows
// are compared before and after as the schema owner.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApi, type TestApi } from './support/api.ts'
import { call, createItem, createOrder, enableFeatures, newOrg, ownerQuery, type Org } from './support/domain.ts'

let api: TestApi
let victim: Org
let attacker: Org
let victimItem: string
let victimOrder: string

beforeAll(async () => {
  api = await createTestApi()
  victim = await newOrg(api)
  attacker = await newOrg(api)
  await enableFeatures(api, ['advanced_analytics'], victim, attacker)
  victimItem = (await createItem(api, victim, { quantity: 10, reorder_point: 2 })).id
  victimOrder = (await createOrder(api, victim, [{ item_id: victimItem, quantity: 3 }])).json().id
  await call(api, victim.headers, 'POST', '/api/v1/forecasts/recompute', {})
  await createItem(api, attacker, { quantity: 5 }) // the attacker has data of their own
})
afterAll(async () => {
  await api?.close()
})

/** Everything the victim owns in the reference domain, as the schema owner sees it. */
async function victimState(): Promise<unknown> {
  const tables = ['inventory_items', 'inventory_adjustments', 'orders', 'order_lines', 'forecasts', 'domain_events', 'audit_log']
  const state: Record<string, unknown> = {}
  for (const table of tables) state[table] = await ownerQuery(api, `select * from ${table} where tenant_id = $1 order by 1, 2`, [victim.tenantId])
  return JSON.parse(JSON.stringify(state))
}

type Attempt = [string, 'GET' | 'POST' | 'PATCH' | 'DELETE', (item: string, order: string) => string, ((item: string, order: string) => unknown)?]

const attempts: Attempt[] = [
  ['read an item', 'GET', (item) => `/api/v1/inventory/${item}`],
  ['change an item', 'PATCH', (item) => `/api/v1/inventory/${item}`, () => ({ name: 'pwned', quantity: 0 })],
  ['delete an item', 'DELETE', (item) => `/api/v1/inventory/${item}`],
  ['adjust its stock', 'POST', (item) => `/api/v1/inventory/${item}/adjustments`, () => ({ delta: -10, reason: 'pwned' })],
  ['read its ledger', 'GET', (item) => `/api/v1/inventory/${item}/adjustments`],
  ['read an order', 'GET', (_, order) => `/api/v1/orders/${order}`],
  ['cancel an order', 'PATCH', (_, order) => `/api/v1/orders/${order}/status`, () => ({ status: 'cancelled' })],
  ['delete an order', 'DELETE', (_, order) => `/api/v1/orders/${order}`],
  ['read a forecast', 'GET', (item) => `/api/v1/forecasts/${item}`],
  ['order their item', 'POST', () => '/api/v1/orders', (item) => ({ lines: [{ item_id: item, quantity: 10 }] })],
  ['recompute their forecast', 'POST', () => '/api/v1/forecasts/recompute', (item) => ({ item_ids: [item] })],
]

describe("another tenant's ids", () => {
  it.each(attempts)('%s: 404 like an unknown id, nothing changes', async (_name, method, url, body) => {
    const before = await victimState()
    const foreign = await call(api, attacker.headers, method, url(victimItem, victimOrder), body?.(victimItem, victimOrder))
    const unknown = await call(api, attacker.headers, method, url(crypto.randomUUID(), crypto.randomUUID()), body?.(crypto.randomUUID(), crypto.randomUUID()))
    expect(foreign.statusCode, foreign.body).toBe(404)
    expect(foreign.json().code).toBe('not_found')
    expect(unknown.statusCode).toBe(404)
    // The answers differ only in the id they name: nothing tells a foreign id from a missing one.
    expect(Object.keys(foreign.json()).sort()).toEqual(Object.keys(unknown.json()).sort())
    expect(await victimState()).toEqual(before)
  })

  it('an operator acting inside the attacker tenant does not reach the victim either', async () => {
    const headers = { ...api.operator, 'x-tenant-id': attacker.tenantId }
    const before = await victimState()
    expect((await call(api, headers, 'GET', `/api/v1/inventory/${victimItem}`)).statusCode).toBe(404)
    expect((await call(api, headers, 'PATCH', `/api/v1/orders/${victimOrder}/status`, { status: 'cancelled' })).statusCode).toBe(404)
    expect(await victimState()).toEqual(before)
  })

  it('lists and reports show only the caller’s own rows', async () => {
    const items = (await call(api, attacker.headers, 'GET', '/api/v1/inventory')).json().data
    expect(items.map((item: { id: string }) => item.id)).not.toContain(victimItem)
    expect(items).toHaveLength(1)
    expect((await call(api, attacker.headers, 'GET', '/api/v1/orders')).json().data).toEqual([])
    expect((await call(api, attacker.headers, 'GET', `/api/v1/inventory?q=${encodeURIComponent('Widget')}`)).json().data).toHaveLength(1)
    const summary = (await call(api, attacker.headers, 'GET', '/api/v1/reports/inventory-summary')).json()
    expect(summary.totals).toMatchObject({ item_count: 1, total_units: 5 })
  })
})
