// Orders racing for the same stock. On PostgreSQL the requests really run in parallel on a
// pool of connections; PGlite serialises transactions, and the invariants must hold there too.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestApi, type TestApi } from './support/api.ts'
import { createItem, createOrder, newOrg, ownerQuery, quantityOf, type Org } from './support/domain.ts'

let api: TestApi
let org: Org

beforeAll(async () => {
  api = await createTestApi()
  org = await newOrg(api)
})
afterAll(async () => {
  await api?.close()
})

it('50 parallel orders on the last 10 units never oversell: exactly 10 succeed, 40 get 409', async () => {
  const item = await createItem(api, org, { quantity: 10 })
  const results = await Promise.all(Array.from({ length: 50 }, () => createOrder(api, org, [{ item_id: item.id, quantity: 1 }])))
  const statuses = results.map((response) => response.statusCode)
  expect(statuses.filter((status) => status === 201)).toHaveLength(10)
  expect(statuses.filter((status) => status === 409)).toHaveLength(40)
  expect(await quantityOf(api, item.id)).toBe(0)
  const placed = await ownerQuery<{ n: number }>(api, 'select count(*)::int as n from order_lines where item_id = $1', [item.id])
  expect(placed[0]!.n).toBe(10)
  const ledger = await ownerQuery<{ sum: number }>(api, 'select sum(delta)::int as sum from inventory_adjustments where item_id = $1', [item.id])
  expect(ledger[0]!.sum).toBe(0) // +10 initial stock, ten times -1
})

it('orders over the same items in opposite line order do not deadlock, and stock adds up', async () => {
  const a = await createItem(api, org, { quantity: 40 })
  const b = await createItem(api, org, { quantity: 40 })
  const results = await Promise.all(
    Array.from({ length: 30 }, (_, index) =>
      createOrder(api, org, index % 2 === 0 ? [{ item_id: a.id, quantity: 1 }, { item_id: b.id, quantity: 2 }] : [{ item_id: b.id, quantity: 2 }, { item_id: a.id, quantity: 1 }]),
    ),
  )
  const placed = results.filter((response) => response.statusCode === 201).length
  expect(results.every((response) => response.statusCode === 201 || response.statusCode === 409)).toBe(true)
  expect(placed).toBe(20) // b runs out after 20 orders of 2
  expect(await quantityOf(api, a.id)).toBe(40 - placed)
  expect(await quantityOf(api, b.id)).toBe(0)
})

it('cancellations racing with new orders keep stock = initial - reserved', async () => {
  const item = await createItem(api, org, { quantity: 5 })
  const first = await Promise.all(Array.from({ length: 5 }, () => createOrder(api, org, [{ item_id: item.id, quantity: 1 }])))
  const ids = first.map((response) => response.json().id as string)
  const mixed = await Promise.all([
    ...ids.map((id) => api.app.inject({ method: 'PATCH', url: `/api/v1/orders/${id}/status`, headers: org.headers, payload: { status: 'cancelled' } })),
    ...Array.from({ length: 10 }, () => createOrder(api, org, [{ item_id: item.id, quantity: 1 }])),
  ])
  expect(mixed.slice(0, 5).every((response) => response.statusCode === 200)).toBe(true)
  const reserved = await ownerQuery<{ n: number }>(
    api,
    "select coalesce(sum(l.quantity), 0)::int as n from order_lines l join orders o on o.tenant_id = l.tenant_id and o.id = l.order_id where l.item_id = $1 and o.status <> 'cancelled'",
    [item.id],
  )
  expect((await quantityOf(api, item.id))! + reserved[0]!.n).toBe(5)
})
