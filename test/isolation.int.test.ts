// Isolation is proven per layer (DESIGN §5): RLS alone with the application filter removed,
// and the application filter alone as the table owner, for whom RLS does not apply.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runWithTenant, TenantContextError } from '../src/context/index.ts'
import { withSystem, withTenant, withTenantStatement, type Database } from '../src/db/index.ts'
import { inventoryRepository as items } from '../src/modules/inventory/index.ts'
import { createTenant } from './support/factories.ts'
import { createTestDatabase, type TestDatabase } from './support/test-database.ts'

let testDb: TestDatabase
let db: Database
let tenantA: string
let tenantB: string
let itemA: string
let itemB: string

beforeAll(async () => {
  testDb = await createTestDatabase()
  db = testDb.db
  tenantA = await createTenant(db, 'tenant-a')
  tenantB = await createTenant(db, 'tenant-b')
  itemA = (await runWithTenant(tenantA, () => withTenant(db, (tx) => items.insertItem(tx, { item_code: 'A-1', name: 'Anvil' })))).id
  itemB = (await runWithTenant(tenantB, () => withTenant(db, (tx) => items.insertItem(tx, { item_code: 'B-1', name: 'Bolt' })))).id
})
afterAll(() => testDb.close())

describe('row-level security alone (no application filter)', () => {
  it('shows only the context tenant rows', async () => {
    const rows = await db.tenantTransaction(tenantA, (tx) => tx.query<{ item_code: string; tenant_id: string }>('select item_code, tenant_id from inventory_items'))
    expect(rows.rows).toEqual([{ item_code: 'A-1', tenant_id: tenantA }])
  })

  it('refuses to insert a row for another tenant', async () => {
    await expect(
      db.tenantTransaction(tenantA, (tx) => tx.query(`insert into inventory_items (tenant_id, item_code, name) values ($1, 'X-1', 'evil')`, [tenantB])),
    ).rejects.toMatchObject({ code: '42501' })
    const count = await db.withOwnerSession((s) => s.query<{ n: number }>(`select count(*)::int as n from inventory_items where item_code = 'X-1'`))
    expect(count.rows[0]!.n).toBe(0)
  })

  it('cannot update or delete another tenant row, even by its id', async () => {
    const updated = await db.tenantTransaction(tenantA, (tx) => tx.query(`update inventory_items set name = 'pwned' where id = $1`, [itemB]))
    const deleted = await db.tenantTransaction(tenantA, (tx) => tx.query('delete from inventory_items where id = $1', [itemB]))
    expect(updated.rowCount).toBe(0)
    expect(deleted.rowCount).toBe(0)
    const row = await db.withOwnerSession((s) => s.query<{ name: string }>('select name from inventory_items where id = $1', [itemB]))
    expect(row.rows[0]!.name).toBe('Bolt')
  })

  it('cannot move its own row into another tenant', async () => {
    await expect(db.tenantTransaction(tenantA, (tx) => tx.query('update inventory_items set tenant_id = $2 where id = $1', [itemA, tenantB]))).rejects.toMatchObject({
      code: '42501',
    })
  })

  it('runs as the app role, which cannot TRUNCATE', async () => {
    const role = await db.tenantTransaction(tenantA, (tx) => tx.query<{ current_user: string }>('select current_user'))
    expect(role.rows[0]!.current_user).toBe(db.appRole)
    await expect(db.tenantTransaction(tenantA, (tx) => tx.query('truncate inventory_items'))).rejects.toMatchObject({ code: '42501' })
  })

  it('shows nothing in a transaction with no tenant', async () => {
    const rows = await db.systemTransaction((tx) => tx.query('select * from inventory_items'))
    expect(rows.rows).toEqual([])
    await expect(db.systemTransaction((tx) => tx.query(`insert into inventory_items (tenant_id, item_code, name) values ($1, 'S-1', 's')`, [tenantA]))).rejects.toMatchObject({
      code: '42501',
    })
  })

  it('treats a one-statement tenant read the same way', async () => {
    const rows = await db.tenantStatement<{ id: string }>(tenantB, 'select id from inventory_items')
    expect(rows.rows.map((r) => r.id)).toEqual([itemB])
  })
})

describe('application layer alone (as the table owner: RLS does not apply)', () => {
  it('the owner sees every tenant, so RLS is really out of the way here', async () => {
    const all = await db.withOwnerSession((s) => s.query('select id from inventory_items'))
    expect(all.rows.length).toBe(2)
  })

  it('repositories still return only the bound tenant rows', async () => {
    await db.withOwnerSession(async (session) => {
      const asA = { tenantId: tenantA, query: session.query.bind(session), afterCommit: () => undefined }
      expect((await items.listItems(asA, { limit: 10 })).map((r) => r.id)).toEqual([itemA])
      expect(await items.findItemById(asA, itemB)).toBeUndefined()
      expect(await items.updateItem(asA, itemB, { name: 'pwned' })).toBeUndefined()
      expect(await items.deleteItem(asA, itemB)).toBe(false)
    })
    const row = await db.withOwnerSession((s) => s.query<{ name: string }>('select name from inventory_items where id = $1', [itemB]))
    expect(row.rows[0]!.name).toBe('Bolt')
  })
})

describe('tenant context', () => {
  it('withTenant without a context throws TenantContextError and touches nothing', async () => {
    await expect(withTenant(db, (tx) => items.listItems(tx, { limit: 1 }))).rejects.toBeInstanceOf(TenantContextError)
    await expect(withTenantStatement(db, (tx) => items.listItems(tx, { limit: 1 }))).rejects.toBeInstanceOf(TenantContextError)
  })

  it('withTenant(id) inside another tenant context refuses', async () => {
    await expect(runWithTenant(tenantA, () => withTenant(db, tenantB, (tx) => items.listItems(tx, { limit: 1 })))).rejects.toBeInstanceOf(TenantContextError)
  })

  it('withTenant binds the context tenant to the transaction', async () => {
    const listed = await runWithTenant(tenantB, () => withTenant(db, tenantB, (tx) => items.listItems(tx, { limit: 10 })))
    expect(listed.map((r) => r.item_code)).toEqual(['B-1'])
  })

  it('rejects a tenant id that is not a uuid before it reaches the database', async () => {
    await expect(db.tenantTransaction("x' or '1'='1", async () => 1)).rejects.toThrow(/uuid/)
  })

  it('the system scope refuses tenant tables by name', async () => {
    await expect(withSystem(db, (tx) => tx.query('select * from inventory_items'))).rejects.toThrow(/tenant-scoped table inventory_items/)
    const tenants = await withSystem(db, (tx) => tx.query<{ slug: string }>('select slug from tenants order by slug'))
    expect(tenants.rows.map((r) => r.slug)).toEqual(['default', 'tenant-a', 'tenant-b'])
  })

  it('rolls the whole transaction back when the callback throws', async () => {
    await expect(
      runWithTenant(tenantA, () =>
        withTenant(db, async (tx) => {
          await items.insertItem(tx, { item_code: 'R-1', name: 'Rolled back' })
          throw new Error('boom')
        }),
      ),
    ).rejects.toThrow('boom')
    const rows = await db.tenantTransaction(tenantA, (tx) => tx.query(`select 1 from inventory_items where item_code = 'R-1'`))
    expect(rows.rows).toEqual([])
  })
})
