// A pooled connection must never carry one request's tenant (or role) into the next: the
// context is transaction-local. One connection in the pool forces every step onto the same one.
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { Database } from '../src/db/index.ts'
import { createTenant } from './support/factories.ts'
import { createTestDatabase, type TestDatabase } from './support/test-database.ts'

let testDb: TestDatabase
let db: Database
let tenantA: string

beforeAll(async () => {
  testDb = await createTestDatabase({ DATABASE_POOL_MAX: '1' })
  db = testDb.db
  tenantA = await createTenant(db)
  await db.tenantTransaction(tenantA, (tx) => tx.query(`insert into inventory_items (tenant_id, item_code, name) values ($1, 'C-1', 'carry')`, [tenantA]))
})
afterAll(() => testDb.close())

const sessionState = (db: Database) =>
  db.withOwnerSession((s) =>
    s.query<{ tenant: string | null; role: string }>(`select current_setting('app.current_tenant_id', true) as tenant, current_user as role`),
  )

it('a tenant transaction leaves the connection with no tenant and its login role', async () => {
  await db.tenantTransaction(tenantA, (tx) => tx.query('select 1 from inventory_items'))
  const rows = await db.systemTransaction((tx) => tx.query('select * from inventory_items'))
  expect(rows.rows).toEqual([])
  const state = await sessionState(db)
  expect(state.rows[0]!.tenant ?? '').toBe('')
  expect(state.rows[0]!.role).not.toBe(db.appRole)
})

it('a one-statement tenant read leaves nothing behind either', async () => {
  const seen = await db.tenantStatement(tenantA, 'select 1 from inventory_items')
  expect(seen.rows.length).toBe(1)
  expect((await db.systemTransaction((tx) => tx.query('select * from inventory_items'))).rows).toEqual([])
  expect((await sessionState(db)).rows[0]!.tenant ?? '').toBe('')
})

it('a failed tenant transaction leaves nothing behind', async () => {
  await expect(db.tenantTransaction(tenantA, (tx) => tx.query('select * from no_such_table'))).rejects.toMatchObject({ code: '42P01' })
  await expect(db.tenantStatement(tenantA, 'select 1/0 from inventory_items')).rejects.toMatchObject({ code: '22012' })
  expect((await db.systemTransaction((tx) => tx.query('select * from inventory_items'))).rows).toEqual([])
  const again = await db.tenantStatement(tenantA, 'select 1 from inventory_items')
  expect(again.rows.length).toBe(1)
})

it('a query after the transaction ended is refused', async () => {
  let leaked: { query: (text: string) => Promise<unknown> } | undefined
  await db.tenantTransaction(tenantA, async (tx) => {
    leaked = tx
    await tx.query('select 1')
  })
  await expect(leaked!.query('select * from inventory_items')).rejects.toThrow(/finished transaction/)
})

it('a statement that fails to parse fails the same way the second time (no stale prepared name)', async () => {
  for (let i = 0; i < 2; i++) {
    await expect(db.tenantStatement(tenantA, 'select * from missing_table_for_parse')).rejects.toMatchObject({ code: '42P01' })
    await expect(db.tenantTransaction(tenantA, (tx) => tx.query('select * from missing_table_for_parse'))).rejects.toMatchObject({ code: '42P01' })
  }
  expect((await db.tenantStatement(tenantA, 'select 1 from inventory_items')).rows.length).toBe(1)
})

it.runIf(process.env.DATABASE_URL && process.env.DATABASE_URL !== 'memory://')('logging in as the app role (DATABASE_APP_URL) gives the same isolation without a role switch', async () => {
  const url = new URL(testDb.config.DATABASE_URL!)
  url.username = db.appRole
  url.password = ''
  const appDb = await testDb.reopen({ DATABASE_APP_URL: url.toString() })
  const seen = await appDb.tenantStatement<{ n: number }>(tenantA, 'select count(*)::int as n from inventory_items')
  expect(seen.rows[0]!.n).toBe(1)
  const none = await appDb.systemTransaction((tx) => tx.query<{ n: number; who: string }>('select count(*)::int as n, current_user as who from inventory_items'))
  expect(none.rows[0]).toEqual({ n: 0, who: db.appRole })
})

it.runIf(process.env.DATABASE_URL && process.env.DATABASE_URL !== 'memory://')('survives the server dropping its connections (a database restart)', async () => {
  const { openDatabase } = await import('../src/db/index.ts')
  const { adminQuery } = await import('./support/global-setup.ts')
  const errors: Error[] = []
  const survivor = await openDatabase(testDb.config, { onPoolError: (error) => errors.push(error) })
  try {
    await Promise.all([1, 2, 3].map(() => survivor.tenantStatement(tenantA, 'select pg_sleep(0.05)')))
    const database = new URL(testDb.config.DATABASE_URL!).pathname.slice(1)
    await adminQuery(process.env.DATABASE_URL!, `select pg_terminate_backend(pid) from pg_stat_activity where datname = '${database}' and pid <> pg_backend_pid()`)
    for (let i = 0; i < 50 && errors.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(errors.length).toBeGreaterThan(0)
    const after = await survivor.tenantStatement<{ n: number }>(tenantA, 'select count(*)::int as n from inventory_items')
    expect(after.rows[0]!.n).toBe(1)
  } finally {
    await survivor.close()
  }
})

// The pipeline parses and describes a statement once per connection; later runs send only
// Bind/Execute and build rows from the remembered columns. They must be indistinguishable.
it('a statement run again on the same connection returns the same typed rows', async () => {
  const sql = `select 42::int as n, 1.50::numeric(10,2) as money, true as yes, null::text as nothing,
                      '{"a":[1,2]}'::jsonb as doc, array['x','y'] as tags, timestamptz '2026-01-02T03:04:05.678Z' as at, item_code
                 from inventory_items where tenant_id = $1`
  const runs = []
  for (let i = 0; i < 3; i++) runs.push((await db.tenantStatement<Record<string, unknown>>(tenantA, sql, [tenantA])).rows)
  for (let i = 0; i < 3; i++) runs.push((await db.tenantTransaction(tenantA, async (tx) => (await tx.query<Record<string, unknown>>(sql, [tenantA])).rows)))
  const expected = { n: 42, money: '1.50', yes: true, nothing: null, doc: { a: [1, 2] }, tags: ['x', 'y'], at: new Date('2026-01-02T03:04:05.678Z'), item_code: 'C-1' }
  for (const rows of runs) {
    expect(rows).toEqual([expected])
    expect(Object.keys(rows[0]!)).toEqual(Object.keys(expected))
    expect(rows[0]!.at).toBeInstanceOf(Date)
  }
})

it('statements without rows report their row count every time, alone and inside a transaction', async () => {
  const touch = `update inventory_items set name = name where tenant_id = $1 and item_code = $2`
  for (let i = 0; i < 3; i++) {
    expect((await db.tenantStatement(tenantA, touch, [tenantA, 'C-1'])).rowCount).toBe(1)
    expect((await db.tenantStatement(tenantA, touch, [tenantA, 'none'])).rowCount).toBe(0)
    const inside = await db.tenantTransaction(tenantA, async (tx) => {
      await tx.query('select 1')
      return (await tx.query(touch, [tenantA, 'C-1'])).rowCount
    })
    expect(inside).toBe(1)
  }
})

it('first uses of many statements on one connection leave no listeners behind', async () => {
  const warnings: Error[] = []
  const onWarning = (warning: Error) => warnings.push(warning)
  process.on('warning', onWarning)
  try {
    for (let i = 0; i < 25; i++) await db.tenantStatement(tenantA, `select ${i} as fresh_statement_${i}`)
    await new Promise((resolve) => setImmediate(resolve))
  } finally {
    process.off('warning', onWarning)
  }
  expect(warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning')).toEqual([])
})

it('a value that cannot be sent fails its statement and leaves the connection usable', async () => {
  const circular: Record<string, unknown> = {}
  circular.self = circular
  await expect(db.tenantStatement(tenantA, 'select $1::jsonb as doc', [circular])).rejects.toThrow()
  const unserialisable = { toJSON: () => { throw new Error('cannot be serialised') } }
  await expect(db.tenantStatement(tenantA, 'select $1::jsonb as doc', [unserialisable])).rejects.toThrow()
  await expect(
    db.tenantTransaction(tenantA, async (tx) => {
      await tx.query('select 1')
      await tx.query('select $1::jsonb as doc', [circular])
    }),
  ).rejects.toThrow()
  // One connection in the pool: a stuck one would hang these.
  expect((await db.tenantStatement<{ n: number }>(tenantA, 'select count(*)::int as n from inventory_items')).rows[0]!.n).toBe(1)
  expect((await sessionState(db)).rows[0]!.tenant ?? '').toBe('')
})

it.runIf(process.env.DATABASE_URL && process.env.DATABASE_URL !== 'memory://')('COPY is refused in tenant statements, and the connection stays usable', async () => {
  await expect(db.tenantStatement(tenantA, 'copy (select 1) to stdout')).rejects.toThrow(/COPY is not supported/)
  await expect(db.tenantTransaction(tenantA, (tx) => tx.query('copy inventory_items (item_code, name) from stdin'))).rejects.toThrow()
  expect((await db.tenantStatement<{ n: number }>(tenantA, 'select count(*)::int as n from inventory_items')).rows[0]!.n).toBe(1)
})
