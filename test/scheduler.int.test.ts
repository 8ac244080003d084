// The scheduler (DESIGN §15): each standard job's effect, the advisory lock and the slot claim
// (two schedulers on one database: exactly one runs a job), and per-tenant failure isolation.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { currentTenantId, tryGetContext } from '../src/context/index.ts'
import type { Database } from '../src/db/index.ts'
import { entryHash, GENESIS_HASH } from '../src/modules/audit/index.ts'
import { listRuns, Scheduler, scheduledJobFailuresTotal, scheduledJobRunsTotal, type ScheduledJob } from '../src/modules/scheduler/index.ts'
import { utcDay } from '../src/modules/usage/index.ts'
import { createTestApi, type TestApi } from './support/api.ts'
import { createItem, createOrder, newOrg } from './support/domain.ts'
import { createTenant } from './support/factories.ts'
import { expectOk, ownerRows } from './support/platform.ts'

let api: TestApi
beforeAll(async () => {
  api = await createTestApi({ USAGE_FLUSH_INTERVAL_MS: '3600000' })
})
afterAll(() => api?.close())

const owner = <Row = Record<string, unknown>>(sql: string, params: unknown[] = []) => ownerRows<Row>(api, sql, params)
const run = (name: string) => api.services.scheduler.runJob(name)
const DAY_MS = 86_400_000

/** A second handle on the same database: a second pool on PostgreSQL; PGlite has one handle per process. */
async function secondHandle(): Promise<Database> {
  return api.testDb.db.kind === 'postgres' ? api.testDb.reopen() : api.testDb.db
}

async function metric(counter: typeof scheduledJobRunsTotal, labels: Record<string, string>): Promise<number> {
  const { values } = await counter.get()
  return values.find((value) => Object.entries(labels).every(([key, wanted]) => (value.labels as Record<string, unknown>)[key] === wanted))?.value ?? 0
}

describe('the standard jobs', () => {
  it('registers the six jobs', () => {
    expect(api.services.scheduler.jobNames.sort()).toEqual(['audit-retention', 'forecast-recompute', 'tenant-purge', 'usage-retention', 'usage-snapshot', 'webhook-delivery-retention'])
  })

  it("usage-snapshot records every tenant's items, members and storage for today", async () => {
    const org = await newOrg(api)
    await createItem(api, org)
    const report = await run('usage-snapshot')
    expect(report).toMatchObject({ outcome: 'succeeded', failures: 0 })
    expect(report.summary!.tenants).toBeGreaterThanOrEqual(2)
    const [row] = await owner<{ items: number; users: number; storage_bytes: number }>(
      'select items, users, storage_bytes::float8 as storage_bytes from usage_daily where tenant_id = $1 and day = $2', [org.tenantId, utcDay(Date.now())])
    expect(row).toMatchObject({ items: 1, users: 1 })
    expect(row!.storage_bytes).toBeGreaterThan(0)
  })

  it('audit-retention removes entries older than AUDIT_RETENTION_DAYS and keeps the rest', async () => {
    const tenantId = await createTenant(api.testDb.db)
    await appendBackdated(tenantId, 400)
    await appendBackdated(tenantId, 10)
    const report = await run('audit-retention')
    expect(report).toMatchObject({ outcome: 'succeeded' })
    expect(report.summary!.removed).toBeGreaterThanOrEqual(1)
    const left = await owner<{ days_ago: number }>(`select (changes->>'days_ago')::int as days_ago from audit_log where tenant_id = $1 and action = 'old.thing'`, [tenantId])
    expect(left).toEqual([{ days_ago: 10 }])
    expect(await api.services.audit.verify(tenantId)).toMatchObject({ ok: true })
  })

  it('webhook-delivery-retention deletes old delivered and dead-lettered deliveries, with their attempts, and nothing else', async () => {
    const org = await newOrg(api)
    const endpoint = randomUUID()
    await owner(`insert into webhook_endpoints (tenant_id, id, name, url, events, retry_count, timeout_ms, secret) values ($1, $2, 'hook', 'http://127.0.0.1:9/hook', '{*}', 3, 1000, $3)`,
      [org.tenantId, endpoint, 'a'.repeat(64)])
    const delivery = async (status: string, daysAgo: number) => {
      const id = randomUUID()
      await owner(`insert into webhook_deliveries (tenant_id, id, endpoint_id, event_id, event_type, body, status, created_at) values ($1, $2, $3, $4, 'item.created', '{}', $5, $6)`,
        [org.tenantId, id, endpoint, randomUUID(), status, new Date(Date.now() - daysAgo * DAY_MS).toISOString()])
      return id
    }
    const oldDelivered = await delivery('delivered', 31)
    const oldDlq = await delivery('dlq', 40)
    const oldPending = await delivery('pending', 40)
    const oldFailed = await delivery('failed', 40)
    const recentDelivered = await delivery('delivered', 29)
    const attempts = (await owner(`select to_regclass('webhook_delivery_attempts') is not null as present`))[0]!.present
    if (attempts) {
      await owner(`insert into webhook_delivery_attempts (tenant_id, delivery_id, attempt, started_at, duration_ms, outcome, status_code) values ($1, $2, 1, now(), 5, 'delivered', 200)`, [org.tenantId, oldDelivered])
    }

    const report = await run('webhook-delivery-retention')
    expect(report).toMatchObject({ outcome: 'succeeded', summary: { removed: 2 } })
    const left = await owner<{ id: string }>('select id from webhook_deliveries where tenant_id = $1', [org.tenantId])
    expect(left.map((row) => row.id).sort()).toEqual([oldPending, oldFailed, recentDelivered].sort())
    expect(left.map((row) => row.id)).not.toContain(oldDlq)
    if (attempts) expect(await owner('select 1 from webhook_delivery_attempts where tenant_id = $1', [org.tenantId])).toEqual([])
  })

  it('usage-retention deletes days of usage older than USAGE_RETENTION_DAYS, for every tenant, and keeps the rest', async () => {
    const [first, second] = [await newOrg(api), await newOrg(api)]
    const day = (daysAgo: number) => utcDay(Date.now() - daysAgo * DAY_MS)
    for (const org of [first, second]) {
      for (const daysAgo of [401, 400, 399, 30]) {
        await owner(`insert into usage_daily (tenant_id, day, requests) values ($1, $2, 1)`, [org.tenantId, day(daysAgo)])
      }
    }
    const report = await run('usage-retention')
    expect(report).toMatchObject({ outcome: 'succeeded', summary: { before: day(400) } })
    expect(report.summary!.removed).toBeGreaterThanOrEqual(2)
    for (const org of [first, second]) {
      const left = await owner<{ day: string }>(`select to_char(day, 'YYYY-MM-DD') as day from usage_daily where tenant_id = $1 and requests = 1 order by day`, [org.tenantId])
      expect(left.map((row) => row.day), org.tenantId).toEqual([day(400), day(399), day(30)])
    }
  })

  it('tenant-purge purges tenants deleted longer ago than the retention, audited at platform level, and leaves the others', async () => {
    const expired = await api.createTenant()
    const recent = await api.createTenant()
    for (const tenant of [expired, recent]) expectOk(await api.app.inject({ method: 'DELETE', url: `/api/v1/tenants/${tenant.id}`, headers: api.operator }))
    await owner(`update tenants set deleted_at = now() - interval '31 days' where id = $1`, [expired.id])
    await owner(`update tenants set deleted_at = now() - interval '5 days' where id = $1`, [recent.id])
    api.services.usage.count(expired.id, 'requests', 3) // counts of a tenant about to go

    const report = await run('tenant-purge')
    expect(report).toMatchObject({ outcome: 'succeeded', summary: { purged: 1 } })
    expect(await owner('select id from tenants where id = $1', [expired.id])).toEqual([])
    expect(await owner('select status from tenants where id = $1', [recent.id])).toEqual([{ status: 'deleted' }])
    const [entry] = await owner<{ actor_type: string; metadata: Record<string, unknown> }>(
      `select actor_type, metadata from platform_audit_log where action = 'tenant.purged' and target_id = $1`, [expired.id])
    expect(entry).toMatchObject({ actor_type: 'system', metadata: { reason: 'retention', slug: expired.slug } })
    for (const table of ['tenant_configurations', 'usage_daily', 'audit_log']) {
      expect(await owner(`select 1 from ${table} where tenant_id = $1`, [expired.id]), table).toEqual([])
    }
    // The meter's counts for the purged tenant are dropped, not retried forever.
    expect((await api.services.usage.flush()).kept).toBe(0)
  })

  it('forecast-recompute stores forecasts for the items of active tenants', async () => {
    const org = await newOrg(api)
    const item = await createItem(api, org, { quantity: 50 })
    expect((await createOrder(api, org, [{ item_id: item.id, quantity: 3 }])).statusCode).toBe(201)
    const report = await run('forecast-recompute')
    expect(report.outcome).toBe('succeeded')
    expect(report.summary!.recomputed).toBeGreaterThanOrEqual(1)
    const [stored] = await owner<{ forecast_quantity: string }>('select forecast_quantity::text from forecasts where tenant_id = $1 and item_id = $2', [org.tenantId, item.id])
    expect(Number(stored!.forecast_quantity)).toBeGreaterThan(0)
  })
})

describe('per-tenant failures', () => {
  it('a tenant whose work throws is logged and counted; the others still run, each in its own context', async () => {
    const orgs = [await newOrg(api), await newOrg(api), await newOrg(api)]
    const failing = orgs[1]!.tenantId
    const seen: string[] = []
    const scheduler = new Scheduler({ db: api.testDb.db })
    const name = `test-partial-${randomUUID().slice(0, 8)}`
    scheduler.register({
      name,
      schedule: '0 * * * *',
      async run({ eachTenant }) {
        await eachTenant(async (tenantId) => {
          expect(currentTenantId()).toBe(tenantId)
          expect(tryGetContext()?.actor).toEqual({ type: 'system', job: name })
          if (tenantId === failing) throw new Error('this tenant fails')
          seen.push(tenantId)
        })
        return { seen: seen.length }
      },
    })
    const failuresBefore = await metric(scheduledJobFailuresTotal, { job: name })
    const report = await scheduler.runJob(name)
    expect(report).toMatchObject({ outcome: 'partial', failures: 1 })
    expect(seen).toEqual(expect.arrayContaining([orgs[0]!.tenantId, orgs[2]!.tenantId]))
    expect(seen).not.toContain(failing)
    expect(await metric(scheduledJobFailuresTotal, { job: name })).toBe(failuresBefore + 1)
    expect(await metric(scheduledJobRunsTotal, { job: name, outcome: 'partial' })).toBe(1)
    const record = (await api.testDb.db.systemTransaction((tx) => listRuns(tx))).find((row) => row.name === name)
    expect(record).toMatchObject({ last_outcome: 'partial', last_summary: { failed_tenants: 1 } })
  })

  it('a run that throws is failed and counted, and releases its lock', async () => {
    const scheduler = new Scheduler({ db: api.testDb.db })
    const name = `test-throws-${randomUUID().slice(0, 8)}`
    let calls = 0
    scheduler.register({ name, schedule: '0 * * * *', run: async () => { calls += 1; throw new Error('broken job') } })
    expect(await scheduler.runJob(name)).toMatchObject({ outcome: 'failed', error: expect.objectContaining({ message: 'broken job' }) })
    expect(await scheduler.runJob(name)).toMatchObject({ outcome: 'failed' })
    expect(calls).toBe(2)
    expect(await metric(scheduledJobRunsTotal, { job: name, outcome: 'failed' })).toBe(2)
  })
})

describe('one run across instances', () => {
  /** A job that waits inside its run until released, to hold the lock while the other scheduler tries. */
  function gatedJob(name: string) {
    let release!: () => void
    let entered!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const inside = new Promise<void>((resolve) => (entered = resolve))
    const state = { runs: 0 }
    const job: ScheduledJob = {
      name,
      schedule: '0 * * * *',
      async run() {
        state.runs += 1
        entered()
        await gate
      },
    }
    return { job, release, inside, state }
  }

  it('two schedulers on the same database: while one runs a job, the other finds the lock taken', async () => {
    const other = await secondHandle()
    const name = `test-lock-${randomUUID().slice(0, 8)}`
    const gated = gatedJob(name)
    const first = new Scheduler({ db: api.testDb.db })
    const second = new Scheduler({ db: other })
    first.register(gated.job)
    second.register(gated.job)

    const running = first.runJob(name)
    await gated.inside
    expect(await second.runJob(name)).toMatchObject({ outcome: 'skipped', reason: 'locked' })
    gated.release()
    expect(await running).toMatchObject({ outcome: 'succeeded' })
    expect(gated.state.runs).toBe(1)
    // Released: the other one may run it now.
    expect(await second.runJob(name)).toMatchObject({ outcome: 'succeeded' })
  })

  it('two schedulers firing for the same slot: exactly one runs, even when they do not overlap', async () => {
    const other = await secondHandle()
    const name = `test-slot-${randomUUID().slice(0, 8)}`
    let runs = 0
    const job: ScheduledJob = { name, schedule: '0 * * * *', run: async () => void (runs += 1) }
    const [first, second] = [new Scheduler({ db: api.testDb.db }), new Scheduler({ db: other })]
    first.register(job)
    second.register(job)
    const together = await Promise.all([first.runJob(name, { force: false }), second.runJob(name, { force: false })])
    expect(together.map((report) => report.outcome).sort()).toEqual(['skipped', 'succeeded'])
    expect(await second.runJob(name, { force: false })).toMatchObject({ outcome: 'skipped', reason: 'already_ran' })
    expect(runs).toBe(1)
  })

  it('the timers run a due job, and stop waits for a running one', async () => {
    const name = `test-cron-${randomUUID().slice(0, 8)}`
    const gated = gatedJob(name)
    const scheduler = new Scheduler({ db: api.testDb.db })
    scheduler.register({ ...gated.job, schedule: '* * * * * *' }) // every second
    scheduler.start()
    await gated.inside
    let stopped = false
    const stopping = scheduler.stop().then(() => (stopped = true))
    await new Promise((resolve) => setImmediate(resolve))
    expect(stopped).toBe(false)
    gated.release()
    await stopping
    expect(gated.state.runs).toBe(1)
    expect(await scheduler.runJob(name)).toMatchObject({ outcome: 'skipped', reason: 'stopping' })
  })

  it('refuses a pattern that is not cron, at registration', () => {
    expect(() => new Scheduler({ db: api.testDb.db }).register({ name: 'bad', schedule: 'every day', run: async () => undefined })).toThrow()
  })
})

/** A correctly chained audit entry `daysAgo` old, written as the owner: the only way to have old entries in a test. */
async function appendBackdated(tenantId: string, daysAgo: number): Promise<void> {
  const [head] = await owner<{ seq: string; last_hash: Uint8Array }>('select last_seq::text as seq, last_hash from audit_chain_heads where tenant_id = $1', [tenantId])
  const prev = head?.last_hash ?? GENESIS_HASH
  const seq = String(Number(head?.seq ?? 0) + 1)
  const createdAt = new Date(Date.now() - daysAgo * DAY_MS).toISOString().replace(/Z$/, '000Z')
  const fields = { tenant_id: tenantId, seq, id: randomUUID(), actor_type: 'system', actor_id: null, action: 'old.thing', resource_type: 'thing', resource_id: null, request_id: null, ip: null, user_agent: null, changes: { days_ago: daysAgo }, created_at: createdAt }
  const hash = entryHash(prev, fields)
  await owner(`insert into audit_log (tenant_id, seq, id, actor_type, action, resource_type, changes, created_at, prev_hash, hash) values ($1, $2, $3, 'system', 'old.thing', 'thing', $4, $5, $6, $7)`,
    [tenantId, seq, fields.id, JSON.stringify(fields.changes), createdAt, prev, hash])
  await owner(`insert into audit_chain_heads (tenant_id, last_seq, last_hash) values ($1, $2, $3) on conflict (tenant_id) do update set last_seq = $2, last_hash = $3`, [tenantId, seq, hash])
}
