// GET /api/v1/reports/inventory-summary on a small known dataset: totals in exact decimals,
// the low-stock list in order, and who may read it.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { bearer, createTestApi, type TestApi } from './support/api.ts'
import { call, createItem, createOrder, newOrg, type Org } from './support/domain.ts'

let api: TestApi
let org: Org

beforeAll(async () => {
  api = await createTestApi()
  org = await newOrg(api)
  await createItem(api, org, { item_code: 'R-A', name: 'Plenty', quantity: 10, unit_cost: 2.5, reorder_point: 5, location: 'A' })
  await createItem(api, org, { item_code: 'R-B', name: 'Short', quantity: 3, unit_cost: 0.1, reorder_point: 5 })
  await createItem(api, org, { item_code: 'R-C', name: 'Gone', quantity: 0, unit_cost: 100, reorder_point: 0 })
  await createItem(api, org, { item_code: 'R-D', name: 'At the line', quantity: 9, unit_cost: 1.99, reorder_point: 7 })
  // Stock reserved by an order is no longer on hand: R-D goes from 9 to 7.
  const [d] = (await call(api, org.headers, 'GET', '/api/v1/inventory?q=R-D')).json().data
  expect((await createOrder(api, org, [{ item_id: d.id, quantity: 2 }])).statusCode).toBe(201)
})
afterAll(async () => {
  await api?.close()
})

const summary = (query = '', headers = org.headers) => call(api, headers, 'GET', `/api/v1/reports/inventory-summary${query}`)

it('totals items, units and stock value (sum of quantity × unit_cost), exactly', async () => {
  const response = await summary()
  expect(response.statusCode, response.body).toBe(200)
  const body = response.json()
  // 10 × 2.50 + 3 × 0.10 + 0 × 100 + 7 × 1.99 = 25.00 + 0.30 + 0 + 13.93
  expect(body.totals).toEqual({ item_count: 4, total_units: 20, stock_value: '39.23', low_stock_count: 3, out_of_stock_count: 1 })
  expect(Date.parse(body.generated_at)).toBeGreaterThan(Date.now() - 60_000)
})

it('lists low-stock items furthest below their reorder point first', async () => {
  const body = (await summary()).json()
  expect(body.low_stock_items.map((item: { item_code: string; shortfall: number }) => [item.item_code, item.shortfall])).toEqual([
    ['R-B', 2],
    ['R-C', 0],
    ['R-D', 0],
  ])
  expect(body.low_stock_items[0]).toMatchObject({ name: 'Short', quantity: 3, reorder_point: 5, unit: 'each', location: null })
  const limited = (await summary('?low_stock_limit=1')).json()
  expect(limited.low_stock_items).toHaveLength(1)
  expect(limited.totals.low_stock_count).toBe(3)
})

it('an empty tenant reports zeros', async () => {
  const empty = await newOrg(api)
  expect((await summary('', empty.headers)).json()).toMatchObject({ totals: { item_count: 0, total_units: 0, stock_value: '0.00', low_stock_count: 0, out_of_stock_count: 0 }, low_stock_items: [] })
})

it('validates the query', async () => {
  expect((await summary('?low_stock_limit=-1')).statusCode).toBe(400)
  expect((await summary('?tenant_id=x')).statusCode).toBe(400)
})

it('Analysts and Auditors may read it (reports:read); no credential is 401', async () => {
  for (const role of ['Analyst', 'Auditor', 'Manager']) {
    const member = bearer((await api.addMember(org.token, role)).token)
    expect((await summary('', member)).statusCode, role).toBe(200)
  }
  expect((await summary('', {})).statusCode).toBe(401)
})

it('any stock the items can hold has a value: the largest quantity at the largest unit cost is summed exactly', async () => {
  const rich = await newOrg(api)
  for (const itemCode of ['BIG-1', 'BIG-2']) {
    const created = await createItem(api, rich, { item_code: itemCode, quantity: 2_147_483_647, unit_cost: 999_999_999_999.99 })
    expect(created.quantity).toBe(2_147_483_647)
  }
  const response = await summary('', rich.headers)
  expect(response.statusCode, response.body).toBe(200)
  // 2 × 2,147,483,647 × 999,999,999,999.99 in exact decimals
  expect(response.json().totals).toMatchObject({ item_count: 2, total_units: 4_294_967_294, stock_value: '4294967293999957050327.06' })
})
