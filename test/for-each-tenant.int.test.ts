import { afterAll, beforeAll, expect, it } from 'vitest'
import { currentTenantId } from '../src/context/index.ts'
import { forEachTenant, withTenant, type Database } from '../src/db/index.ts'
import { inventoryRepository as items } from '../src/modules/inventory/index.ts'
import { createTenant } from './support/factories.ts'
import { createTestDatabase, type TestDatabase } from './support/test-database.ts'

let testDb: TestDatabase
let db: Database
const tenants: string[] = []

beforeAll(async () => {
  testDb = await createTestDatabase()
  db = testDb.db
  for (let i = 0; i < 5; i++) tenants.push(await createTenant(db))
  await db.withOwnerSession((s) => s.query(`update tenants set status = 'deleted' where id = $1`, [tenants[4]]))
})
afterAll(() => testDb.close())

it('runs each tenant under its own context, keeps going past a failure, and skips deleted tenants', async () => {
  const failing = tenants[1]!
  const seen: string[] = []
  const result = await forEachTenant(
    db,
    async (tenantId) => {
      expect(currentTenantId()).toBe(tenantId)
      if (tenantId === failing) throw new Error('this tenant fails')
      await withTenant(db, (tx) => items.insertItem(tx, { item_code: 'JOB-1', name: 'written by a job' }))
      seen.push(tenantId)
    },
    { batchSize: 2 }, // several pages, to exercise the keyset paging
  )
  expect(result.failed).toEqual([{ tenantId: failing, error: expect.objectContaining({ message: 'this tenant fails' }) }])
  expect(result.succeeded).toBe(4) // the default tenant + 3 of ours
  expect(seen).not.toContain(tenants[4])
  const rows = await db.withOwnerSession((s) => s.query<{ tenant_id: string }>(`select tenant_id from inventory_items where item_code = 'JOB-1'`))
  expect(rows.rows.map((r) => r.tenant_id).sort()).toEqual([...seen].sort())
})
