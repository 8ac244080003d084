// tx.afterCommit: the hook that wakes webhook dispatchers runs only after a commit, never after
// a rollback, and after the data is visible to other sessions.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { runWithTenant } from '../src/context/index.ts'
import { withTenant, withTenantStatement, type Database } from '../src/db/index.ts'
import { createTestApi, type TestApi } from './support/api.ts'

let api: TestApi
let tenantId: string

beforeAll(async () => {
  api = await createTestApi()
  tenantId = (await api.createTenant()).id
})
afterAll(async () => {
  await api?.close()
})

it('runs after a commit, with the database, when the change is already visible', async () => {
  const seen: { db: Database; visible: number }[] = []
  const db = api.testDb.db
  await runWithTenant(tenantId, () =>
    withTenant(db, async (tx) => {
      await tx.query("insert into inventory_items (tenant_id, item_code, name) values ($1, 'AC-1', 'After commit')", [tx.tenantId])
      tx.afterCommit((committedOn) => {
        void runWithTenant(tenantId, () =>
          withTenantStatement(committedOn, (check) => check.query<{ n: number }>("select count(*)::int as n from inventory_items where tenant_id = $1 and item_code = 'AC-1'", [check.tenantId])),
        ).then((result) => seen.push({ db: committedOn, visible: result.rows[0]!.n }))
      })
      expect(seen).toHaveLength(0) // not before the commit
    }),
  )
  await new Promise((resolve) => setTimeout(resolve, 200))
  expect(seen).toEqual([{ db, visible: 1 }])
})

it('never runs after a rollback', async () => {
  let ran = false
  await expect(
    runWithTenant(tenantId, () =>
      withTenant(api.testDb.db, async (tx) => {
        tx.afterCommit(() => (ran = true))
        throw new Error('roll back')
      }),
    ),
  ).rejects.toThrow('roll back')
  expect(ran).toBe(false)
})
