// Inventory items through /api/v1/inventory: CRUD and validation, unique item codes, search,
// filters and cursors, stock adjustments that never go below zero, the plan's max_items, and
// what each role may do. State is checked as the schema owner.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, createTestApi, type TestApi } from './support/api.ts'
import { auditActions, call, code, createItem, newOrg, ownerQuery, quantityOf, type Org } from './support/domain.ts'

let api: TestApi
let org: Org

beforeAll(async () => {
  api = await createTestApi()
  org = await newOrg(api)
})
afterAll(async () => {
  await api?.close()
})

const inventory = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path = '', payload?: unknown, headers = org.headers) => call(api, headers, method, `/api/v1/inventory${path}`, payload)

describe('items', () => {
  it('creates with defaults, reads, updates and deletes, each audited', async () => {
    const itemCode = code()
    const created = await inventory('POST', '', { item_code: itemCode, name: 'Hex bolt M8', unit_cost: 0.125, reorder_point: 5, quantity: 12, location: 'A-1' })
    expect(created.statusCode).toBe(201)
    const item = created.json()
    expect(item).toMatchObject({ item_code: itemCode, name: 'Hex bolt M8', description: '', quantity: 12, unit: 'each', location: 'A-1', reorder_point: 5, unit_cost: '0.13', low_stock: false })
    expect(item).not.toHaveProperty('tenant_id')

    expect((await inventory('GET', `/${item.id}`)).json()).toEqual(item)

    const patched = await inventory('PATCH', `/${item.id}`, { name: 'Hex bolt M8×40', location: null, unit_cost: 0.2 })
    expect(patched.statusCode).toBe(200)
    expect(patched.json()).toMatchObject({ name: 'Hex bolt M8×40', location: null, unit_cost: '0.20', quantity: 12 })
    expect(Date.parse(patched.json().updated_at)).toBeGreaterThanOrEqual(Date.parse(item.updated_at))

    expect((await inventory('DELETE', `/${item.id}`)).statusCode).toBe(204)
    expect((await inventory('GET', `/${item.id}`)).statusCode).toBe(404)
    expect((await inventory('DELETE', `/${item.id}`)).statusCode).toBe(404)

    const audit = (await auditActions(api, org.tenantId)).filter((entry) => entry.resource_id === item.id)
    expect(audit.map((entry) => entry.action)).toEqual(['inventory.item.created', 'inventory.item.updated', 'inventory.item.deleted'])
    expect(audit[1]!.changes).toEqual({ name: { from: 'Hex bolt M8', to: 'Hex bolt M8×40' }, location: { from: 'A-1', to: null }, unit_cost: { from: '0.13', to: '0.20' } })
  })

  it('a PATCH that changes nothing writes nothing', async () => {
    const item = await createItem(api, org, { name: 'Same' })
    const before = (await auditActions(api, org.tenantId)).length
    const response = await inventory('PATCH', `/${item.id}`, { name: 'Same' })
    expect(response.statusCode).toBe(200)
    expect((await auditActions(api, org.tenantId)).length).toBe(before)
  })

  it('refuses a duplicate item_code with 409, on create and on rename', async () => {
    const first = await createItem(api, org)
    const duplicate = await inventory('POST', '', { item_code: first.item_code, name: 'Again' })
    expect(duplicate.statusCode).toBe(409)
    expect(duplicate.json()).toMatchObject({ code: 'already_exists', detail: 'an item with this item_code already exists' })
    const second = await createItem(api, org)
    expect((await inventory('PATCH', `/${second.id}`, { item_code: first.item_code })).statusCode).toBe(409)
  })

  it('the same item_code is fine in another tenant', async () => {
    const item = await createItem(api, org)
    const other = await newOrg(api)
    expect((await call(api, other.headers, 'POST', '/api/v1/inventory', { item_code: item.item_code, name: 'Theirs' })).statusCode).toBe(201)
  })

  it.each([
    [{ name: 'no code' }, 'body'],
    [{ item_code: '', name: 'x' }, '/item_code'],
    [{ item_code: ' padded ', name: 'x' }, '/item_code'],
    [{ item_code: 'X', name: '' }, '/name'],
    [{ item_code: 'X', name: 'x', quantity: -1 }, '/quantity'],
    [{ item_code: 'X', name: 'x', quantity: 1.5 }, '/quantity'],
    [{ item_code: 'X', name: 'x', reorder_point: -2 }, '/reorder_point'],
    [{ item_code: 'X', name: 'x', unit_cost: -0.01 }, '/unit_cost'],
    [{ item_code: 'X'.repeat(65), name: 'x' }, '/item_code'],
  ])('validates %j', async (payload, path) => {
    const response = await inventory('POST', '', payload)
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('validation_failed')
    expect(JSON.stringify(response.json().errors)).toContain(path)
  })

  it('refuses unknown properties (mass assignment): tenant_id, id, created_at', async () => {
    const other = await newOrg(api)
    const item = await createItem(api, org)
    for (const extra of [{ tenant_id: other.tenantId }, { id: crypto.randomUUID() }, { created_at: '2000-01-01T00:00:00Z' }, { low_stock: true }]) {
      const created = await inventory('POST', '', { item_code: code(), name: 'x', ...extra })
      expect(created.statusCode, JSON.stringify(extra)).toBe(400)
      expect((await inventory('PATCH', `/${item.id}`, { name: 'y', ...extra })).statusCode, JSON.stringify(extra)).toBe(400)
    }
    expect((await ownerQuery(api, 'select count(*)::int as n from inventory_items where tenant_id = $1', [other.tenantId]))[0]).toEqual({ n: 0 })
    expect((await inventory('GET', `/${item.id}`)).json()).toMatchObject({ name: 'Widget', created_at: item.created_at })
  })

  it('answers 400 for an id that is not a uuid and 404 for an unknown one', async () => {
    expect((await inventory('GET', '/not-a-uuid')).statusCode).toBe(400)
    expect((await inventory('GET', `/${crypto.randomUUID()}`)).json()).toMatchObject({ status: 404, code: 'not_found' })
  })
})

describe('listing', () => {
  let shop: Org
  beforeAll(async () => {
    shop = await newOrg(api)
    const items: Record<string, unknown>[] = [
      { item_code: 'BOLT-1', name: 'Bolt 100%', location: 'A', quantity: 50, reorder_point: 10 },
      { item_code: 'BOLT_2', name: 'Bolt small', location: 'A', quantity: 3, reorder_point: 10 },
      { item_code: 'NUT-1', name: 'Nut', location: 'B', quantity: 10, reorder_point: 10 },
      { item_code: 'WASHER', name: 'Washer for bolts', location: 'B', quantity: 100 },
      { item_code: 'GEAR', name: 'Gear', quantity: 0 },
    ]
    for (const item of items) await createItem(api, shop, item)
  })
  const codes = async (query: string) => {
    const response = await call(api, shop.headers, 'GET', `/api/v1/inventory${query}`)
    expect(response.statusCode, response.body).toBe(200)
    return response.json().data.map((item: { item_code: string }) => item.item_code)
  }

  it('lists oldest first; q searches name and item_code case-insensitively', async () => {
    expect(await codes('')).toEqual(['BOLT-1', 'BOLT_2', 'NUT-1', 'WASHER', 'GEAR'])
    expect(await codes('?q=bolt')).toEqual(['BOLT-1', 'BOLT_2', 'WASHER'])
    expect(await codes('?q=nut-')).toEqual(['NUT-1'])
  })

  it('q is literal: % and _ are not wildcards', async () => {
    expect(await codes('?q=%25')).toEqual(['BOLT-1'])
    expect(await codes('?q=_')).toEqual(['BOLT_2'])
    expect(await codes(`?q=${encodeURIComponent('\\')}`)).toEqual([])
  })

  it('filters by location and low_stock (quantity <= reorder_point), combined', async () => {
    expect(await codes('?location=B')).toEqual(['NUT-1', 'WASHER'])
    expect(await codes('?low_stock=true')).toEqual(['BOLT_2', 'NUT-1', 'GEAR'])
    expect(await codes('?low_stock=true&location=A')).toEqual(['BOLT_2'])
    expect(await codes('?low_stock=false')).toEqual(['BOLT-1', 'BOLT_2', 'NUT-1', 'WASHER', 'GEAR'])
  })

  it('pages with an opaque cursor, without gaps or repeats', async () => {
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const response = await call(api, shop.headers, 'GET', `/api/v1/inventory?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      const body = response.json()
      expect(body.data.length).toBeLessThanOrEqual(2)
      seen.push(...body.data.map((item: { item_code: string }) => item.item_code))
      cursor = body.next_cursor
    } while (cursor)
    expect(seen).toEqual(['BOLT-1', 'BOLT_2', 'NUT-1', 'WASHER', 'GEAR'])
    expect((await call(api, shop.headers, 'GET', '/api/v1/inventory?cursor=garbage')).statusCode).toBe(400)
    expect((await call(api, shop.headers, 'GET', '/api/v1/inventory?tenant_id=x')).statusCode).toBe(400)
  })
})

describe('stock adjustments', () => {
  it('add and remove stock, each a ledger row; never below zero (409 names the stock), nothing written then', async () => {
    const item = await createItem(api, org, { quantity: 5, unit: 'box' })
    const added = await inventory('POST', `/${item.id}/adjustments`, { delta: 7, reason: 'delivery 42' })
    expect(added.statusCode).toBe(201)
    expect(added.json()).toMatchObject({ adjustment: { delta: 7, reason: 'delivery 42', quantity_after: 12, order_id: null, actor_type: 'user' }, item: { quantity: 12 } })

    expect((await inventory('POST', `/${item.id}/adjustments`, { delta: -12, reason: 'stocktake' })).json().item.quantity).toBe(0)
    const refused = await inventory('POST', `/${item.id}/adjustments`, { delta: -1, reason: 'too many' })
    expect(refused.statusCode).toBe(409)
    expect(refused.json()).toMatchObject({ code: 'conflict', available: 0, requested: 1 })
    expect(refused.json().detail).toContain('only 0 box')
    expect(await quantityOf(api, item.id)).toBe(0)

    const ledger = (await inventory('GET', `/${item.id}/adjustments`)).json()
    expect(ledger.data.map((row: { delta: number }) => row.delta)).toEqual([-12, 7, 5])
    expect(ledger.data.map((row: { quantity_after: number }) => row.quantity_after)).toEqual([0, 12, 5])
    expect(ledger.data[2].reason).toBe('initial stock')
    const audit = (await auditActions(api, org.tenantId)).filter((entry) => entry.resource_id === item.id && entry.action === 'inventory.stock.adjusted')
    expect(audit.map((entry) => entry.changes)).toEqual([
      { delta: 7, reason: 'delivery 42', quantity: { from: 5, to: 12 } },
      { delta: -12, reason: 'stocktake', quantity: { from: 12, to: 0 } },
    ])
  })

  it('stock cannot exceed the integer column: 409 naming the maximum, not a database error, nothing written', async () => {
    const MAX = 2_147_483_647
    const item = await createItem(api, org, { quantity: MAX - 5, unit: 'box' })
    for (const delta of [6, MAX]) {
      const refused = await inventory('POST', `/${item.id}/adjustments`, { delta, reason: 'too many' })
      expect(refused.statusCode, refused.body).toBe(409)
      expect(refused.json()).toMatchObject({ code: 'conflict', available: MAX - 5, requested: delta, maximum: MAX })
      expect(refused.json().detail).toContain(`would exceed ${MAX}`)
    }
    expect((await inventory('POST', `/${item.id}/adjustments`, { delta: 5, reason: 'to the brim' })).json().item.quantity).toBe(MAX)
    expect(await quantityOf(api, item.id)).toBe(MAX)
    expect((await inventory('GET', `/${item.id}/adjustments`)).json().data).toHaveLength(2)
  })

  it('a quantity set by PATCH is recorded in the ledger too', async () => {
    const item = await createItem(api, org, { quantity: 4 })
    expect((await inventory('PATCH', `/${item.id}`, { quantity: 9 })).json().quantity).toBe(9)
    const ledger = (await inventory('GET', `/${item.id}/adjustments`)).json().data
    expect(ledger[0]).toMatchObject({ delta: 5, quantity_after: 9, reason: 'quantity set by an item update' })
  })

  it('validates the body: a non-zero integer delta and a reason', async () => {
    const item = await createItem(api, org, { quantity: 1 })
    for (const payload of [{ delta: 0, reason: 'x' }, { delta: 1.5, reason: 'x' }, { delta: 1 }, { delta: 1, reason: '' }, { delta: 1, reason: 'x', quantity_after: 99 }]) {
      expect((await inventory('POST', `/${item.id}/adjustments`, payload)).statusCode, JSON.stringify(payload)).toBe(400)
    }
    expect((await inventory('POST', `/${crypto.randomUUID()}/adjustments`, { delta: 1, reason: 'x' })).statusCode).toBe(404)
    expect(await quantityOf(api, item.id)).toBe(1)
  })

  it('concurrent removals never take more than there is', async () => {
    const item = await createItem(api, org, { quantity: 10 })
    const results = await Promise.all(Array.from({ length: 25 }, () => inventory('POST', `/${item.id}/adjustments`, { delta: -1, reason: 'pick' })))
    expect(results.filter((response) => response.statusCode === 201)).toHaveLength(10)
    expect(results.filter((response) => response.statusCode === 409)).toHaveLength(15)
    expect(await quantityOf(api, item.id)).toBe(0)
  })
})

describe('max_items', () => {
  it('refuses the item over the plan limit with 403 quota_exceeded, also under concurrency', async () => {
    const small = await newOrg(api)
    const limited = await api.app.inject({ method: 'PATCH', url: `/api/v1/tenants/${small.tenantId}`, headers: api.operator, payload: { settings: { limits: { max_items: 2 } } } })
    expect(limited.statusCode, limited.body).toBe(200)
    const results = await Promise.all(Array.from({ length: 6 }, () => call(api, small.headers, 'POST', '/api/v1/inventory', { item_code: code(), name: 'x' })))
    expect(results.map((response) => response.statusCode).sort()).toEqual([201, 201, 403, 403, 403, 403])
    const refused = results.find((response) => response.statusCode === 403)!.json()
    expect(refused).toMatchObject({ code: 'quota_exceeded', limit: 'max_items', allowed: 2 })
    expect((await ownerQuery(api, 'select count(*)::int as n from inventory_items where tenant_id = $1', [small.tenantId]))[0]).toEqual({ n: 2 })

    // Deleting one frees a place.
    const [first] = (await call(api, small.headers, 'GET', '/api/v1/inventory')).json().data
    expect((await call(api, small.headers, 'DELETE', `/api/v1/inventory/${first.id}`)).statusCode).toBe(204)
    expect((await call(api, small.headers, 'POST', '/api/v1/inventory', { item_code: code(), name: 'x' })).statusCode).toBe(201)
  })
})

describe('permissions (DESIGN §8)', () => {
  it('an Analyst reads but gets 403 on every write; a Manager writes', async () => {
    const item = await createItem(api, org, { quantity: 3 })
    const analyst = bearer((await api.addMember(org.token, 'Analyst')).token)
    expect((await inventory('GET', '', undefined, analyst)).statusCode).toBe(200)
    expect((await inventory('GET', `/${item.id}`, undefined, analyst)).statusCode).toBe(200)
    expect((await inventory('GET', `/${item.id}/adjustments`, undefined, analyst)).statusCode).toBe(200)
    const writes = [
      inventory('POST', '', { item_code: code(), name: 'x' }, analyst),
      inventory('PATCH', `/${item.id}`, { name: 'mine' }, analyst),
      inventory('DELETE', `/${item.id}`, undefined, analyst),
      inventory('POST', `/${item.id}/adjustments`, { delta: -1, reason: 'x' }, analyst),
    ]
    for (const response of await Promise.all(writes)) {
      expect(response.statusCode).toBe(403)
      expect(response.json().code).toBe('permission_denied')
    }
    expect((await inventory('GET', `/${item.id}`)).json()).toMatchObject({ name: 'Widget', quantity: 3 })

    const manager = bearer((await api.addMember(org.token, 'Manager')).token)
    expect((await inventory('POST', `/${item.id}/adjustments`, { delta: 1, reason: 'x' }, manager)).statusCode).toBe(201)
    expect((await inventory('DELETE', `/${item.id}`, undefined, manager)).statusCode).toBe(204)
  })

  it('an Auditor reads only', async () => {
    const auditor = bearer((await api.addMember(org.token, 'Auditor')).token)
    expect((await inventory('GET', '', undefined, auditor)).statusCode).toBe(200)
    expect((await inventory('POST', '', { item_code: code(), name: 'x' }, auditor)).statusCode).toBe(403)
  })

  it('no credential: 401', async () => {
    expect((await inventory('GET', '', undefined, {})).statusCode).toBe(401)
  })
})
