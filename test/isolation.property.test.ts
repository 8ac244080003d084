// Property: whatever sequence of create/read/update/delete/list operations random tenants run
// over the shared tables, no operation observes or changes another tenant's rows. Each run is
// checked against a model, and at the end the table (read as the owner) must equal the model.
import fc from 'fast-check'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { runWithTenant } from '../src/context/index.ts'
import { withTenant, type Database } from '../src/db/index.ts'
import { inventoryRepository as items } from '../src/modules/inventory/index.ts'
import { createTenant } from './support/factories.ts'
import { createTestDatabase, type TestDatabase } from './support/test-database.ts'

type Op =
  | { kind: 'create'; tenant: number; name: string }
  | { kind: 'read' | 'delete'; tenant: number; target: number }
  | { kind: 'update'; tenant: number; target: number; name: string }
  | { kind: 'list' | 'listUnfiltered'; tenant: number }

let testDb: TestDatabase
let db: Database
const tenants: string[] = []

beforeAll(async () => {
  testDb = await createTestDatabase()
  db = testDb.db
  for (let i = 0; i < 3; i++) tenants.push(await createTenant(db))
})
afterAll(() => testDb.close())

const tenantIndex = fc.integer({ min: 0, max: 2 })
const name = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !s.includes('\u0000'))
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), tenant: tenantIndex, name }),
  fc.record({ kind: fc.constantFrom('read' as const, 'delete' as const), tenant: tenantIndex, target: fc.nat() }),
  fc.record({ kind: fc.constant('update' as const), tenant: tenantIndex, target: fc.nat(), name }),
  fc.record({ kind: fc.constantFrom('list' as const, 'listUnfiltered' as const), tenant: tenantIndex }),
)

interface ModelRow {
  tenant: string
  name: string
}

it('random operations by random tenants never cross tenants', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), async (ops) => {
      await db.withOwnerSession((s) => s.query('delete from inventory_items'))
      const model = new Map<string, ModelRow>()
      const everCreated: string[] = [] // includes deleted ids: probing them must fail too
      let counter = 0

      for (const op of ops) {
        const tenant = tenants[op.tenant]!
        const own = () => [...model].filter(([, row]) => row.tenant === tenant).map(([id]) => id).sort()
        await runWithTenant(tenant, () =>
          withTenant(db, async (tx) => {
            switch (op.kind) {
              case 'create': {
                const row = await items.insertItem(tx, { item_code: `P-${counter++}`, name: op.name })
                expect(row.tenant_id).toBe(tenant)
                model.set(row.id, { tenant, name: op.name })
                everCreated.push(row.id)
                break
              }
              case 'read': {
                const id = pick(everCreated, op.target)
                if (!id) break
                const row = await items.findItemById(tx, id)
                const expected = model.get(id)
                if (expected?.tenant === tenant) expect(row?.name).toBe(expected.name)
                else expect(row).toBeUndefined()
                break
              }
              case 'update': {
                const id = pick(everCreated, op.target)
                if (!id) break
                const row = await items.updateItem(tx, id, { name: op.name })
                const expected = model.get(id)
                if (expected?.tenant === tenant) {
                  expect(row?.name).toBe(op.name)
                  expected.name = op.name
                } else expect(row).toBeUndefined()
                break
              }
              case 'delete': {
                const id = pick(everCreated, op.target)
                if (!id) break
                const deleted = await items.deleteItem(tx, id)
                const ownsIt = model.get(id)?.tenant === tenant
                expect(deleted).toBe(ownsIt)
                if (ownsIt) model.delete(id)
                break
              }
              case 'list': {
                const rows = await items.listItems(tx, { limit: 1000 })
                expect(rows.map((r) => r.id).sort()).toEqual(own())
                break
              }
              case 'listUnfiltered': {
                // The application filter removed: RLS alone must give the same answer.
                const { rows } = await tx.query<{ id: string }>('select id from inventory_items')
                expect(rows.map((r) => r.id).sort()).toEqual(own())
                break
              }
            }
          }),
        )
      }

      const { rows } = await db.withOwnerSession((s) => s.query<{ id: string; tenant_id: string; name: string }>('select id, tenant_id, name from inventory_items'))
      expect(new Map(rows.map((r) => [r.id, { tenant: r.tenant_id, name: r.name }]))).toEqual(model)
    }),
    { numRuns: 40 },
  )
})

function pick(ids: string[], index: number): string | undefined {
  return ids.length === 0 ? undefined : ids[index % ids.length]
}
