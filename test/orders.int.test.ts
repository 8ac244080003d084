// Orders through /api/v1/orders: placing an order reserves its stock in the same transaction
// (409 naming the short items, and then nothing changes), the status table, cancellation and
// deletion giving stock back, listing with filters and cursors, audit, and roles.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, createTestApi, type TestApi } from './support/api.ts'
import { auditActions, call, createItem, createOrder, newOrg, ownerQuery, quantityOf, type Org } from './support/domain.ts'

let api: TestApi
let org: Org

beforeAll(async () => {
  api = await createTestApi()
  org = await newOrg(api)
})
afterAll(async () => {
  await api?.close()
})

const orders = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path = '', payload?: unknown, headers = org.headers) => call(api, headers, method, `/api/v1/orders${path}`, payload)
const setStatus = (id: string, status: string, headers = org.headers) => orders('PATCH', `/${id}/status`, { status }, headers)
const ledgerOf = (itemId: string) => ownerQuery<{ delta: number; order_id: string | null; reason: string }>(api, 'select delta, order_id, reason from inventory_adjustments where item_id = $1 order by created_at, id', [itemId])

describe('placing an order', () => {
  it('reserves the stock, prices the lines (unit_cost by default) and totals in exact decimals', async () => {
    const bolt = await createItem(api, org, { quantity: 10, unit_cost: 0.1 })
    const nut = await createItem(api, org, { quantity: 5, unit_cost: 2 })
    const response = await createOrder(api, org, [{ item_id: bolt.id, quantity: 3 }, { item_id: nut.id, quantity: 2, unit_price: 2.55 }, { item_id: bolt.id, quantity: 1, unit_price: 0.2 }], {
      customer_name: 'Ada', customer_email: 'ada@example.test', notes: 'leave at the door',
    })
    expect(response.statusCode, response.body).toBe(201)
    const order = response.json()
    expect(order).toMatchObject({ status: 'pending', customer_name: 'Ada', customer_email: 'ada@example.test', notes: 'leave at the door', total: '5.60' })
    expect(order.order_number).toMatch(/^ORD-\d{8}-[0-9A-Z]{10}$/)
    expect(order.lines).toEqual([
      { line_no: 1, item_id: bolt.id, item_code: bolt.item_code, name: 'Widget', quantity: 3, unit_price: '0.10', line_total: '0.30' },
      { line_no: 2, item_id: nut.id, item_code: nut.item_code, name: 'Widget', quantity: 2, unit_price: '2.55', line_total: '5.10' },
      { line_no: 3, item_id: bolt.id, item_code: bolt.item_code, name: 'Widget', quantity: 1, unit_price: '0.20', line_total: '0.20' },
    ])
    expect(await quantityOf(api, bolt.id)).toBe(6)
    expect(await quantityOf(api, nut.id)).toBe(3)
    expect((await ledgerOf(bolt.id)).at(-1)).toMatchObject({ delta: -4, order_id: order.id, reason: `reserved by order ${order.order_number}` })
    expect((await orders('GET', `/${order.id}`)).json()).toEqual(order)
    const audit = (await auditActions(api, org.tenantId)).find((entry) => entry.resource_id === order.id)
    expect(audit).toMatchObject({ action: 'orders.order.created', changes: { order_number: order.order_number, total: '5.60' } })
  })

  it('409 names every short item, and nothing changes: no order, no stock taken, no ledger row', async () => {
    const plenty = await createItem(api, org, { quantity: 100 })
    const few = await createItem(api, org, { quantity: 2 })
    const none = await createItem(api, org, { quantity: 0 })
    const ordersBefore = await ownerQuery(api, 'select count(*)::int as n from orders where tenant_id = $1', [org.tenantId])
    const response = await createOrder(api, org, [{ item_id: plenty.id, quantity: 50 }, { item_id: few.id, quantity: 3 }, { item_id: none.id, quantity: 1 }], { order_number: 'SHORT-1' })
    expect(response.statusCode).toBe(409)
    const problem = response.json()
    expect(problem.code).toBe('conflict')
    expect(problem.shortages).toEqual(expect.arrayContaining([
      { item_id: few.id, item_code: few.item_code, available: 2, requested: 3 },
      { item_id: none.id, item_code: none.item_code, available: 0, requested: 1 },
    ]))
    expect(problem.shortages).toHaveLength(2)
    expect(problem.detail).toContain(few.item_code)
    expect(await quantityOf(api, plenty.id)).toBe(100)
    expect(await ownerQuery(api, 'select count(*)::int as n from orders where tenant_id = $1', [org.tenantId])).toEqual(ordersBefore)
    expect((await ledgerOf(plenty.id)).length).toBe(1) // the initial stock only
  })

  it("a total larger than an order can hold is a 400 naming it, and nothing changes", async () => {
    const item = await createItem(api, org, { quantity: 2_000_000, unit_cost: 999_999_999_999.99 })
    const ordersBefore = await ownerQuery(api, 'select count(*)::int as n from orders where tenant_id = $1', [org.tenantId])
    // 1,000,000 × 999,999,999,999.99 = 999,999,999,999,990,000.00 (the unit_cost); the second line doubles it.
    const response = await createOrder(api, org, [{ item_id: item.id, quantity: 1_000_000 }, { item_id: item.id, quantity: 1_000_000, unit_price: 999_999_999_999.99 }])
    expect(response.statusCode, response.body).toBe(400)
    expect(response.json()).toMatchObject({ code: 'validation_failed', errors: [{ path: 'body/lines' }] })
    expect(response.json().detail).toContain('1999999999999980000.00')
    expect(await quantityOf(api, item.id)).toBe(2_000_000)
    expect(await ownerQuery(api, 'select count(*)::int as n from orders where tenant_id = $1', [org.tenantId])).toEqual(ordersBefore)
    // At the limit exactly, it is taken.
    const cheap = await createItem(api, org, { quantity: 10, unit_cost: 0 })
    const largest = await createOrder(api, org, [{ item_id: cheap.id, quantity: 1, unit_price: 999_999_999_999.99 }])
    expect(largest.statusCode, largest.body).toBe(201)
    expect(largest.json().total).toBe('999999999999.99')
  })

  it('lines of the same item add up against its stock', async () => {
    const item = await createItem(api, org, { quantity: 5 })
    expect((await createOrder(api, org, [{ item_id: item.id, quantity: 3 }, { item_id: item.id, quantity: 3 }])).statusCode).toBe(409)
    expect((await createOrder(api, org, [{ item_id: item.id, quantity: 3 }, { item_id: item.id, quantity: 2 }])).statusCode).toBe(201)
    expect(await quantityOf(api, item.id)).toBe(0)
  })

  it('an unknown item is a 404 naming it, and a duplicate order_number a 409', async () => {
    const item = await createItem(api, org, { quantity: 5 })
    const unknown = crypto.randomUUID()
    const response = await createOrder(api, org, [{ item_id: item.id, quantity: 1 }, { item_id: unknown, quantity: 1 }])
    expect(response.statusCode).toBe(404)
    expect(response.json()).toMatchObject({ code: 'not_found', item_id: unknown })
    expect(await quantityOf(api, item.id)).toBe(5)

    expect((await createOrder(api, org, [{ item_id: item.id, quantity: 1 }], { order_number: 'PO-7' })).statusCode).toBe(201)
    const duplicate = await createOrder(api, org, [{ item_id: item.id, quantity: 1 }], { order_number: 'PO-7' })
    expect(duplicate.statusCode).toBe(409)
    expect(duplicate.json()).toMatchObject({ code: 'already_exists', detail: 'an order with this order_number already exists' })
    expect(await quantityOf(api, item.id)).toBe(4)
  })

  it.each([
    [{ lines: [] }],
    [{ lines: [{ item_id: 'nope', quantity: 1 }] }],
    [{ lines: [{ item_id: crypto.randomUUID(), quantity: 0 }] }],
    [{ lines: [{ item_id: crypto.randomUUID(), quantity: 1, unit_price: -1 }] }],
    [{ lines: [{ item_id: crypto.randomUUID(), quantity: 1 }], customer_email: 'not an email' }],
    [{ lines: [{ item_id: crypto.randomUUID(), quantity: 1 }], status: 'delivered' }],
    [{ lines: [{ item_id: crypto.randomUUID(), quantity: 1 }], total: 0 }],
    [{ lines: [{ item_id: crypto.randomUUID(), quantity: 1 }], tenant_id: crypto.randomUUID() }],
    [{ lines: [{ item_id: crypto.randomUUID(), quantity: 1, tenant_id: crypto.randomUUID() }] }],
    [{ lines: [{ item_id: crypto.randomUUID(), quantity: 1 }], id: crypto.randomUUID() }],
    [{ lines: [{ item_id: crypto.randomUUID(), quantity: 1 }], created_at: '2000-01-01T00:00:00Z' }],
  ])('refuses %j with 400', async (payload) => {
    const response = await orders('POST', '', payload)
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('validation_failed')
  })

  it('an item on orders cannot be deleted (409)', async () => {
    const item = await createItem(api, org, { quantity: 5 })
    expect((await createOrder(api, org, [{ item_id: item.id, quantity: 1 }])).statusCode).toBe(201)
    const response = await call(api, org.headers, 'DELETE', `/api/v1/inventory/${item.id}`)
    expect(response.statusCode).toBe(409)
    expect(response.json().detail).toBe('orders refer to this item, so it cannot be deleted')
    expect(await quantityOf(api, item.id)).toBe(4)
  })
})

describe('status transitions', () => {
  const place = async (quantity = 2) => {
    const item = await createItem(api, org, { quantity: 10 })
    const order = (await createOrder(api, org, [{ item_id: item.id, quantity }])).json()
    return { item, order }
  }

  it('pending → confirmed → shipped → delivered, each audited; nothing after delivered', async () => {
    const { item, order } = await place()
    for (const status of ['confirmed', 'shipped', 'delivered']) {
      const response = await setStatus(order.id, status)
      expect(response.statusCode, response.body).toBe(200)
      expect(response.json()).toMatchObject({ status, lines: [{ item_id: item.id, quantity: 2 }] })
    }
    for (const status of ['pending', 'confirmed', 'shipped', 'cancelled', 'delivered']) {
      const refused = await setStatus(order.id, status)
      expect(refused.statusCode).toBe(409)
      expect(refused.json()).toMatchObject({ code: 'conflict', from: 'delivered', to: status, allowed: [] })
    }
    expect(await quantityOf(api, item.id)).toBe(8)
    const changes = (await auditActions(api, org.tenantId)).filter((entry) => entry.resource_id === order.id && entry.action === 'orders.order.status_changed').map((entry) => entry.changes.status)
    expect(changes).toEqual([{ from: 'pending', to: 'confirmed' }, { from: 'confirmed', to: 'shipped' }, { from: 'shipped', to: 'delivered' }])
  })

  it.each([
    ['pending', ['shipped', 'delivered', 'pending']],
    ['confirmed', ['pending', 'delivered', 'confirmed']],
    ['shipped', ['pending', 'confirmed', 'cancelled', 'shipped']],
  ])('from %s, refuses %j with 409', async (from, refused) => {
    const { order } = await place()
    const path: Record<string, string[]> = { pending: [], confirmed: ['confirmed'], shipped: ['confirmed', 'shipped'] }
    for (const status of path[from]!) expect((await setStatus(order.id, status)).statusCode).toBe(200)
    for (const status of refused) expect((await setStatus(order.id, status)).statusCode, `${from} → ${status}`).toBe(409)
  })

  it.each([['pending'], ['confirmed']])('cancelling a %s order releases its stock, with ledger rows naming the order', async (from) => {
    const { item, order } = await place(3)
    if (from === 'confirmed') await setStatus(order.id, 'confirmed')
    expect(await quantityOf(api, item.id)).toBe(7)
    const cancelled = await setStatus(order.id, 'cancelled')
    expect(cancelled.statusCode).toBe(200)
    expect(cancelled.json().status).toBe('cancelled')
    expect(await quantityOf(api, item.id)).toBe(10)
    expect((await ledgerOf(item.id)).at(-1)).toMatchObject({ delta: 3, order_id: order.id, reason: `released: order ${order.order_number} cancelled` })
    // Cancelled is final: no second release.
    expect((await setStatus(order.id, 'cancelled')).statusCode).toBe(409)
    expect(await quantityOf(api, item.id)).toBe(10)
  })

  it('validates the status and refuses other fields', async () => {
    const { order } = await place()
    expect((await setStatus(order.id, 'lost')).statusCode).toBe(400)
    expect((await orders('PATCH', `/${order.id}/status`, { status: 'confirmed', total: 0 })).statusCode).toBe(400)
    expect((await setStatus(crypto.randomUUID(), 'confirmed')).statusCode).toBe(404)
  })
})

describe('giving stock back past the maximum', () => {
  it('cancelling is refused (409 naming the maximum) when the item was refilled to the brim meanwhile; the order stays as it was', async () => {
    const MAX = 2_147_483_647
    const item = await createItem(api, org, { quantity: 10 })
    const order = (await createOrder(api, org, [{ item_id: item.id, quantity: 3 }])).json()
    const refill = await call(api, org.headers, 'POST', `/api/v1/inventory/${item.id}/adjustments`, { delta: MAX - 7, reason: 'refilled' })
    expect(refill.statusCode, refill.body).toBe(201)
    const refused = await setStatus(order.id, 'cancelled')
    expect(refused.statusCode, refused.body).toBe(409)
    expect(refused.json()).toMatchObject({ code: 'conflict', available: MAX, requested: 3, maximum: MAX })
    expect((await orders('GET', `/${order.id}`)).json().status).toBe('pending')
    expect(await quantityOf(api, item.id)).toBe(MAX)
  })
})

describe('deleting an order', () => {
  it('a pending order: deleted with its lines, stock released', async () => {
    const item = await createItem(api, org, { quantity: 4 })
    const order = (await createOrder(api, org, [{ item_id: item.id, quantity: 4 }])).json()
    expect(await quantityOf(api, item.id)).toBe(0)
    expect((await orders('DELETE', `/${order.id}`)).statusCode).toBe(204)
    expect(await quantityOf(api, item.id)).toBe(4)
    expect(await ownerQuery(api, 'select 1 from order_lines where order_id = $1', [order.id])).toEqual([])
    expect((await orders('GET', `/${order.id}`)).statusCode).toBe(404)
    expect((await auditActions(api, org.tenantId)).at(-1)).toMatchObject({ action: 'orders.order.deleted', resource_id: order.id })
  })

  it('a cancelled order: deleted without releasing twice; confirmed, shipped or delivered: 409', async () => {
    const item = await createItem(api, org, { quantity: 4 })
    const cancelled = (await createOrder(api, org, [{ item_id: item.id, quantity: 1 }])).json()
    await setStatus(cancelled.id, 'cancelled')
    expect((await orders('DELETE', `/${cancelled.id}`)).statusCode).toBe(204)
    expect(await quantityOf(api, item.id)).toBe(4)

    const confirmed = (await createOrder(api, org, [{ item_id: item.id, quantity: 1 }])).json()
    await setStatus(confirmed.id, 'confirmed')
    const refused = await orders('DELETE', `/${confirmed.id}`)
    expect(refused.statusCode).toBe(409)
    expect(refused.json()).toMatchObject({ status: 409, code: 'conflict', order_status: 'confirmed' })
    expect((await orders('GET', `/${confirmed.id}`)).statusCode).toBe(200)
    expect(await quantityOf(api, item.id)).toBe(3)
  })
})

describe('listing orders', () => {
  it('newest first, filtered by status and creation time, paged by cursor', async () => {
    const shop = await newOrg(api)
    const item = await createItem(api, shop, { quantity: 100 })
    const placed: { id: string; status: string }[] = []
    for (let index = 0; index < 5; index++) placed.push((await createOrder(api, shop, [{ item_id: item.id, quantity: 1 }])).json())
    await call(api, shop.headers, 'PATCH', `/api/v1/orders/${placed[1]!.id}/status`, { status: 'cancelled' })
    // Move one order into the past to test the time filters.
    await ownerQuery(api, "update orders set created_at = '2024-01-15T12:00:00Z' where id = $1", [placed[0]!.id])

    const list = async (query: string) => (await call(api, shop.headers, 'GET', `/api/v1/orders${query}`)).json()
    const all = await list('')
    expect(all.data.map((order: { id: string }) => order.id)).toEqual([placed[4]!.id, placed[3]!.id, placed[2]!.id, placed[1]!.id, placed[0]!.id])
    expect(all.data[0]).not.toHaveProperty('lines')
    expect((await list('?status=cancelled')).data.map((order: { id: string }) => order.id)).toEqual([placed[1]!.id])
    expect((await list('?to=2024-02-01T00:00:00Z')).data.map((order: { id: string }) => order.id)).toEqual([placed[0]!.id])
    expect((await list('?from=2024-02-01T00:00:00Z')).data).toHaveLength(4)

    const seen: string[] = []
    let cursor: string | null = null
    do {
      const body = await list(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      seen.push(...body.data.map((order: { id: string }) => order.id))
      cursor = body.next_cursor
    } while (cursor)
    expect(seen).toEqual(all.data.map((order: { id: string }) => order.id))
    expect((await call(api, shop.headers, 'GET', '/api/v1/orders?status=lost')).statusCode).toBe(400)
  })
})

describe('permissions (DESIGN §8)', () => {
  it('an Analyst reads orders but gets 403 on every write; a Manager may delete', async () => {
    const item = await createItem(api, org, { quantity: 10 })
    const order = (await createOrder(api, org, [{ item_id: item.id, quantity: 1 }])).json()
    const analyst = bearer((await api.addMember(org.token, 'Analyst')).token)
    expect((await orders('GET', '', undefined, analyst)).statusCode).toBe(200)
    expect((await orders('GET', `/${order.id}`, undefined, analyst)).statusCode).toBe(200)
    for (const response of [
      await orders('POST', '', { lines: [{ item_id: item.id, quantity: 1 }] }, analyst),
      await setStatus(order.id, 'cancelled', analyst),
      await orders('DELETE', `/${order.id}`, undefined, analyst),
    ]) {
      expect(response.statusCode).toBe(403)
      expect(response.json()).toMatchObject({ code: 'permission_denied' })
    }
    expect(await quantityOf(api, item.id)).toBe(9)
    const manager = bearer((await api.addMember(org.token, 'Manager')).token)
    expect((await orders('DELETE', `/${order.id}`, undefined, manager)).statusCode).toBe(204)
  })
})
