// Domain events (the transactional outbox): each change writes its events in its own
// transaction, a change that rolls back writes none, and every event matches the payload schema
// the catalog publishes for the webhooks module.
import { Value } from 'typebox/value'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runWithTenant } from '../src/context/index.ts'
import { withTenant } from '../src/db/index.ts'
import { domainEventCatalog, emitDomainEvent, DOMAIN_EVENT_TYPES, type DomainEventType } from '../src/modules/events/index.ts'
import { createTestApi, type TestApi } from './support/api.ts'
import { call, createItem, createOrder, eventsOf, enableFeatures, newOrg, ownerQuery, type Org } from './support/domain.ts'

let api: TestApi
let org: Org

beforeAll(async () => {
  api = await createTestApi()
  org = await newOrg(api)
  await enableFeatures(api, ['advanced_analytics'], org)
})
afterAll(async () => {
  await api?.close()
})

/**
 * The events one change (one request, one transaction) wrote. Within a transaction events are
 * a set: they share a commit, and PGlite's clock may give them the same microsecond.
 */
async function emittedBy(change: () => Promise<unknown>): Promise<{ type: string; data: any }[]> {
  const before = new Set((await ownerQuery<{ id: string }>(api, 'select id from domain_events where tenant_id = $1', [org.tenantId])).map((row) => row.id))
  await change()
  const after = await ownerQuery<{ id: string; type: string; data: any }>(api, 'select id, type, data from domain_events where tenant_id = $1', [org.tenantId])
  return after.filter((event) => !before.has(event.id)).map(({ type, data }) => ({ type, data })).sort((a, b) => a.type.localeCompare(b.type))
}
const typesOf = (events: { type: string }[]) => events.map((event) => event.type)

describe('what each change emits', () => {
  it('items: created, updated (with the changed fields), deleted', async () => {
    let item = { id: '' }
    const created = await emittedBy(async () => (item = await createItem(api, org, { quantity: 20, reorder_point: 5 })))
    expect(typesOf(created)).toEqual(['inventory.created'])
    expect(created[0]!.data.item).toMatchObject({ id: item.id, quantity: 20 })
    const updated = await emittedBy(() => call(api, org.headers, 'PATCH', `/api/v1/inventory/${item.id}`, { name: 'Renamed' }))
    expect(updated).toEqual([{ type: 'inventory.updated', data: { item: expect.objectContaining({ name: 'Renamed' }), changes: { name: { from: 'Widget', to: 'Renamed' } } } }])
    const deleted = await emittedBy(() => call(api, org.headers, 'DELETE', `/api/v1/inventory/${item.id}`))
    expect(deleted).toEqual([{ type: 'inventory.deleted', data: { item: expect.objectContaining({ id: item.id, name: 'Renamed' }) } }])
  })

  it('inventory.low_stock once, when a change crosses the reorder point (adjustment, order, update)', async () => {
    const item = await createItem(api, org, { quantity: 10, reorder_point: 5 })
    const adjust = (delta: number) => emittedBy(() => call(api, org.headers, 'POST', `/api/v1/inventory/${item.id}/adjustments`, { delta, reason: 'x' }))
    expect(typesOf(await adjust(-4))).toEqual(['inventory.updated']) // 6: above
    const crossing = await adjust(-1) // 5: at the reorder point
    expect(typesOf(crossing)).toEqual(['inventory.low_stock', 'inventory.updated'])
    expect(crossing[0]!.data).toMatchObject({ cause: 'adjustment', item: { id: item.id, quantity: 5, low_stock: true } })
    expect(crossing[1]!.data.changes).toEqual({ quantity: { from: 6, to: 5 } })
    expect(typesOf(await adjust(-1))).toEqual(['inventory.updated']) // 4: already low

    // Back above, then an order takes it below again.
    expect(typesOf(await adjust(10))).toEqual(['inventory.updated']) // 14
    const ordered = await emittedBy(() => createOrder(api, org, [{ item_id: item.id, quantity: 9 }])) // 5
    expect(typesOf(ordered)).toEqual(['inventory.low_stock', 'inventory.updated', 'orders.created'])
    expect(ordered[0]!.data.cause).toBe('order')

    // Raising the reorder point above the stock crosses too.
    const other = await createItem(api, org, { quantity: 3, reorder_point: 1 })
    const raised = await emittedBy(() => call(api, org.headers, 'PATCH', `/api/v1/inventory/${other.id}`, { reorder_point: 3 }))
    expect(typesOf(raised)).toEqual(['inventory.low_stock', 'inventory.updated'])
    expect(raised[0]!.data.cause).toBe('update')
  })

  it('orders: created, updated with the previous status (cancellation releases stock), deleted', async () => {
    const item = await createItem(api, org, { quantity: 50 })
    const order = (await createOrder(api, org, [{ item_id: item.id, quantity: 2 }])).json()
    const cancelled = await emittedBy(() => call(api, org.headers, 'PATCH', `/api/v1/orders/${order.id}/status`, { status: 'cancelled' }))
    expect(typesOf(cancelled)).toEqual(['inventory.updated', 'orders.updated'])
    expect(cancelled[0]!.data.changes).toEqual({ quantity: { from: 48, to: 50 } })
    expect(cancelled[1]!.data).toMatchObject({ previous_status: 'pending', order: { id: order.id, status: 'cancelled', lines: [{ item_id: item.id, quantity: 2 }] } })
    const deleted = await emittedBy(() => call(api, org.headers, 'DELETE', `/api/v1/orders/${order.id}`))
    expect(typesOf(deleted)).toEqual(['orders.deleted']) // a cancelled order holds no stock
  })

  it('every stored event matches its catalog schema, and only catalog types are written', async () => {
    await call(api, org.headers, 'POST', '/api/v1/forecasts/recompute', {})
    const events = await eventsOf(api, org.tenantId)
    expect(new Set(events.map((event) => event.type))).toEqual(new Set(DOMAIN_EVENT_TYPES))
    for (const event of events) {
      const schema = domainEventCatalog[event.type as DomainEventType].data
      expect(Value.Check(schema, event.data), `${event.type}: ${JSON.stringify([...Value.Errors(schema, event.data)].slice(0, 2))}`).toBe(true)
    }
  })
})

describe('transactional outbox', () => {
  it('a refused change writes no event: short order, below-zero adjustment, duplicate code', async () => {
    // Stock is reserved in item_id order: the item that sorts first is taken (and crosses its
    // reorder point, writing events) before the second is found short and everything rolls back.
    const [first, second] = [await createItem(api, org), await createItem(api, org)].sort((a, b) => (a.id < b.id ? -1 : 1))
    await call(api, org.headers, 'PATCH', `/api/v1/inventory/${first!.id}`, { quantity: 5, reorder_point: 3 })
    await call(api, org.headers, 'PATCH', `/api/v1/inventory/${second!.id}`, { quantity: 1 })
    const refused = await emittedBy(async () => {
      expect((await createOrder(api, org, [{ item_id: first!.id, quantity: 4 }, { item_id: second!.id, quantity: 2 }])).statusCode).toBe(409)
      expect((await call(api, org.headers, 'POST', `/api/v1/inventory/${first!.id}/adjustments`, { delta: -6, reason: 'x' })).statusCode).toBe(409)
      expect((await call(api, org.headers, 'POST', '/api/v1/inventory', { item_code: first!.item_code, name: 'dup' })).statusCode).toBe(409)
    })
    expect(refused).toEqual([])
    expect((await call(api, org.headers, 'GET', `/api/v1/inventory/${first!.id}`)).json().quantity).toBe(5)
  })

  it('an event emitted in a transaction that then fails is rolled back with it', async () => {
    const before = (await eventsOf(api, org.tenantId)).length
    await expect(
      runWithTenant(org.tenantId, () =>
        withTenant(api.testDb.db, async (tx) => {
          await emitDomainEvent(tx, 'inventory.deleted', { item: { id: crypto.randomUUID() } as never })
          throw new Error('the change failed after its event was written')
        }),
      ),
    ).rejects.toThrow('the change failed')
    expect((await eventsOf(api, org.tenantId)).length).toBe(before)

    const committed = await runWithTenant(org.tenantId, () => withTenant(api.testDb.db, (tx) => emitDomainEvent(tx, 'inventory.deleted', { item: { id: 'kept' } as never })))
    const rows = await ownerQuery<{ id: string; tenant_id: string; type: string }>(api, 'select id, tenant_id, type from domain_events where id = $1', [committed.id])
    expect(rows).toEqual([{ id: committed.id, tenant_id: org.tenantId, type: 'inventory.deleted' }])
    expect(committed.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/)
    await ownerQuery(api, 'delete from domain_events where id = $1', [committed.id]) // keep the schema test above honest
  })

  it('events are tenant-scoped: another tenant sees none of them', async () => {
    const other = await newOrg(api)
    await createItem(api, other)
    const visible = await runWithTenant(other.tenantId, () =>
      withTenant(api.testDb.db, (tx) => tx.query<{ n: number }>('select count(*)::int as n from domain_events where tenant_id <> $1', [other.tenantId])),
    )
    expect(visible.rows[0]!.n).toBe(0)
  })
})
