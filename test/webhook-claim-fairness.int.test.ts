// The webhook claim shares each batch between tenants (migration 0009, docs/decisions.md D50):
// a tenant with a large backlog cannot hold back another tenant's deliveries, and a tenant alone
// still gets whole batches. Tested on the claim itself (claimDue), with the dispatcher off.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { runWithTenant } from '../src/context/index.ts'
import { claimDue, leaseForSending } from '../src/modules/webhooks/dispatcher/delivery-store.ts'
import { MAX_WEBHOOK_TIMEOUT_MS } from '../src/modules/webhooks/webhook-timeout.ts'
import { createTestApi, type TestApi } from './support/api.ts'
import { ownerRows } from './support/platform.ts'
import { serverUrl } from './support/test-env.ts'

const LEASE_MS = 30_000
let api: TestApi
const tenants: string[] = []

beforeAll(async () => {
  api = await createTestApi({ WEBHOOK_DISPATCHER_ENABLED: 'false' })
  for (let i = 0; i < 3; i++) tenants.push((await api.signUp()).tenantId)
})
afterAll(() => api?.close())
beforeEach(async () => {
  await ownerRows(api, 'delete from webhook_deliveries')
  await ownerRows(api, 'delete from webhook_endpoints')
})

/** `count` due deliveries for the tenant, the first one due `ageSeconds` ago, one second apart. */
async function queue(tenantId: string, count: number, ageSeconds = count, dueInSeconds = 0): Promise<void> {
  const [endpoint] = await ownerRows<{ id: string }>(
    api,
    `insert into webhook_endpoints (tenant_id, name, url, events, retry_count, timeout_ms, secret)
     values ($1, 'fairness', 'https://example.test/hook', '{inventory.item.created}', 3, 5000, repeat('a', 64)) returning id`,
    [tenantId],
  )
  await ownerRows(
    api,
    `insert into webhook_deliveries (tenant_id, endpoint_id, event_id, event_type, body, next_attempt_at)
     select $1, $2, gen_random_uuid(), 'inventory.item.created', '{}',
            now() - make_interval(secs => $3) + make_interval(secs => i) + make_interval(secs => $5)
       from generate_series(1, $4) as i`,
    [tenantId, endpoint!.id, ageSeconds, count, dueInSeconds],
  )
}

const claim = (limit: number) => claimDue(api.testDb.db, limit, LEASE_MS, randomUUID())
const perTenant = (claimed: { tenant_id: string }[]) =>
  Object.fromEntries(tenants.map((id) => [id, claimed.filter((row) => row.tenant_id === id).length]))
const a = () => tenants[0]!
const b = () => tenants[1]!
const c = () => tenants[2]!

describe('claiming webhook deliveries', () => {
  it("takes a quiet tenant's delivery in the first batch, behind another tenant's older backlog", async () => {
    await queue(a(), 500, 3600) // due for the last hour
    await queue(b(), 2, 5) // due a few seconds ago
    const claimed = await claim(50)
    expect(claimed).toHaveLength(50)
    expect(perTenant(claimed)).toMatchObject({ [a()]: 48, [b()]: 2 })
  })

  it('gives a tenant alone whole batches, oldest first', async () => {
    await queue(a(), 300)
    const byAge = await ownerRows<{ id: string }>(api, 'select id from webhook_deliveries order by next_attempt_at')
    const claimed = await claim(100)
    expect(claimed.map((row) => row.delivery_id).sort()).toEqual(byAge.slice(0, 100).map((row) => row.id).sort())
  })

  it('splits a batch evenly between tenants with backlogs', async () => {
    await queue(a(), 200, 900)
    await queue(b(), 200, 600)
    await queue(c(), 200, 300)
    expect(perTenant(await claim(30))).toEqual({ [a()]: 10, [b()]: 10, [c()]: 10 })
  })

  it("fills the shares a tenant leaves unused with the others' oldest deliveries", async () => {
    await queue(a(), 200, 600)
    await queue(b(), 200, 300)
    await queue(c(), 1)
    const claimed = await claim(30)
    expect(claimed).toHaveLength(30)
    const counts = perTenant(claimed)
    expect(counts[c()]).toBe(1)
    // 10 each from the shares, then the 9 left over to the oldest due: tenant a's.
    expect(counts).toEqual({ [a()]: 19, [b()]: 10, [c()]: 1 })
  })

  it('never claims a delivery that is not due, nor one already claimed and leased', async () => {
    await queue(a(), 20, 0, 3600) // due in an hour
    await queue(b(), 5)
    const first = await claim(50)
    expect(perTenant(first)).toEqual({ [a()]: 0, [b()]: 5, [c()]: 0 })
    expect(await claim(50)).toEqual([])
  })

  it.skipIf(!serverUrl())('never gives one delivery to two concurrent claims (PostgreSQL)', async () => {
    for (const tenant of [a(), b(), c()]) await queue(tenant, 100)
    const claims = await Promise.all(Array.from({ length: 6 }, () => claim(40)))
    const ids = claims.flat().map((row) => row.delivery_id)
    expect(ids.length).toBe(240)
    expect(new Set(ids).size).toBe(ids.length)
  })
})

describe("an endpoint stored with a timeout above today's limit (D63)", () => {
  it('is sent with MAX_WEBHOOK_TIMEOUT_MS, and leased for that', async () => {
    await queue(a(), 1)
    await ownerRows(api, 'update webhook_endpoints set timeout_ms = 300000 where tenant_id = $1', [a()]) // allowed before D63
    const token = randomUUID()
    const ids = (await claimDue(api.testDb.db, 10, LEASE_MS, token)).map((row) => row.delivery_id)
    const [delivery] = await runWithTenant(a(), () => leaseForSending(api.testDb.db, ids, token, LEASE_MS), { type: 'system' })
    expect(delivery!.timeout_ms).toBe(MAX_WEBHOOK_TIMEOUT_MS)
    const [lease] = await ownerRows<{ seconds: number }>(api, 'select extract(epoch from lease_until - now())::float8 as seconds from webhook_deliveries where tenant_id = $1', [a()])
    expect(lease!.seconds).toBeGreaterThan((MAX_WEBHOOK_TIMEOUT_MS + LEASE_MS) / 1000 - 10)
    expect(lease!.seconds).toBeLessThanOrEqual((MAX_WEBHOOK_TIMEOUT_MS + LEASE_MS) / 1000)
  })
})
