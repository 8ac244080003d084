// Part 1: sustained deliveries per second. N deliveries are queued in ONE transaction while the
// worker idles (so none is sent before the clock starts); its commit wakes the worker through the
// same NOTIFY the outbox sends, and the clock runs until the receiver has had every delivery. The
// database must then agree: every row delivered, one attempt each, nothing sent twice.
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { buildEventBody } from '../../src/modules/webhooks/signing/index.ts'
import { WEBHOOK_WAKE_CHANNEL } from '../../src/modules/webhooks/wake-signal.ts'
import { CostMeter, type Costs } from './costs.ts'
import { benchItem, now, sleep } from './events.ts'
import { errorLines, type Child } from './processes.ts'
import { BENCH_EVENT, type BenchTenant } from './setup.ts'

export interface ThroughputResult {
  endpoints: number
  deliveries: number
  /** Commit of the queued rows → the last delivery at the receiver. */
  seconds: number
  deliveriesPerSec: number
  /** Commit → first delivery at the receiver (wake-up and first claim). */
  firstMs: number
  /** Commit → the database showing every row delivered. */
  databaseSeconds: number
  duplicates: number
  /** Rows the database still did not show delivered 10 s after the receiver had them all (results the worker failed to record). */
  notRecorded: number
  /** Error lines the worker logged during the run, and the first of them. */
  workerErrors: number
  firstWorkerError: string | null
  costs: Costs
}

const SEED_CHUNK = 2000

/** Queues events × endpoints deliveries (bodies from the real body builder) in one transaction; resolves at its commit. */
export async function queueDeliveries(admin: pg.Client, tenant: BenchTenant, events: number): Promise<number> {
  await admin.query('begin')
  try {
    for (let offset = 0; offset < events; offset += SEED_CHUNK) {
      const ids: string[] = []
      const bodies: string[] = []
      for (let n = offset; n < Math.min(events, offset + SEED_CHUNK); n++) {
        const id = randomUUID()
        const at = new Date()
        ids.push(id)
        bodies.push(buildEventBody({ id, type: BENCH_EVENT, tenant_id: tenant.id, created_at: at, data: { item: benchItem(n, at) } }))
      }
      // As the outbox writes them (webhooks/outbox.ts): one row per subscribed active endpoint, due now.
      // Event by event, as the outbox inserts them: a claim then takes rows of every endpoint.
      await admin.query(
        `insert into webhook_deliveries (tenant_id, endpoint_id, event_id, event_type, body, status, next_attempt_at)
         select $1, e.id, ev.id, $2, ev.body, 'pending', now()
           from unnest($3::uuid[], $4::text[]) with ordinality as ev(id, body, n)
           cross join webhook_endpoints e
          where e.tenant_id = $1 and e.status = 'active' and e.events && array[$2::text, '*']
          order by ev.n, e.id`,
        [tenant.id, BENCH_EVENT, ids, bodies],
      )
    }
    await admin.query(`select pg_notify('${WEBHOOK_WAKE_CHANNEL}', '')`)
    await admin.query('commit')
    return now()
  } catch (error) {
    await admin.query('rollback').catch(() => undefined)
    throw error
  }
}

/**
 * Delivered rows of an earlier day, one attempt each, as WEBHOOK_DELIVERY_RETENTION_DAYS keeps them:
 * the queue's statements must not slow down as this history grows.
 */
export async function addHistory(admin: pg.Client, tenant: BenchTenant, rows: number): Promise<void> {
  const body = buildEventBody({ id: randomUUID(), type: BENCH_EVENT, tenant_id: tenant.id, created_at: new Date(), data: { item: benchItem(0) } })
  await admin.query(
    `with d as (
       insert into webhook_deliveries (tenant_id, endpoint_id, event_id, event_type, body, status, attempts, next_attempt_at, created_at, delivered_at, last_status_code)
       select $1, $2, gen_random_uuid(), $3, $4, 'delivered', 1, now() - interval '1 day', now() - interval '1 day', now() - interval '1 day', 200
         from generate_series(1, $5::int)
       returning tenant_id, id)
     insert into webhook_delivery_attempts (tenant_id, delivery_id, attempt, started_at, duration_ms, outcome, status_code)
     select tenant_id, id, 1, now() - interval '1 day', 2, 'delivered', 200 from d`,
    [tenant.id, tenant.endpoints[0]!.id, BENCH_EVENT, body, rows],
  )
  await admin.query('vacuum analyze webhook_deliveries')
  await admin.query('vacuum analyze webhook_delivery_attempts')
}

interface TenantCounts {
  delivered: number
  notDelivered: number
  attempts: number
}

async function tenantCounts(admin: pg.Client, tenantId: string): Promise<TenantCounts> {
  const { rows } = await admin.query<TenantCounts>(
    `select (select count(*) filter (where status = 'delivered') from webhook_deliveries where tenant_id = $1)::int as "delivered",
            (select count(*) filter (where status <> 'delivered') from webhook_deliveries where tenant_id = $1)::int as "notDelivered",
            (select count(*) from webhook_delivery_attempts where tenant_id = $1)::int as "attempts"`,
    [tenantId],
  )
  return rows[0]!
}

export interface ReceiverStats {
  requests: number
  distinct: number
  duplicates: number
  nonPost: number
  stray: number
  firstAt: number
  lastAt: number
  cpuMs: number
}

/** Polls the receiver until it has `distinct` deliveries; throws after timeoutMs. */
export async function waitForReceiver(receiver: Child, distinct: number, timeoutMs: number): Promise<ReceiverStats> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const stats = await receiver.ask<ReceiverStats>({ cmd: 'stats' })
    if (stats.distinct >= distinct) return stats
    if (Date.now() > deadline) throw new Error(`the receiver had ${stats.distinct} of ${distinct} deliveries after ${timeoutMs} ms`)
    await sleep(20)
  }
}

export async function measureThroughput(options: {
  admin: pg.Client
  receiver: Child
  worker: Child
  tenant: BenchTenant
  deliveries: number
  /** Write a CPU profile of the worker over this run to this file. */
  profileFile?: string
}): Promise<ThroughputResult> {
  const { admin, receiver, worker, tenant } = options
  const endpoints = tenant.endpoints.length
  const events = Math.ceil(options.deliveries / endpoints)
  const total = events * endpoints
  const before = await tenantCounts(admin, tenant.id)
  if (before.notDelivered > 0) throw new Error(`tenant ${tenant.slug} still has ${before.notDelivered} undelivered rows`)
  await receiver.ask({ cmd: 'reset', latency: false, prefix: `/${tenant.slug}/` })
  const outputBefore = worker.output().length
  const meter = new CostMeter(admin, receiver, worker)
  await meter.start()
  if (options.profileFile) await worker.ask({ cmd: 'profile-start' })

  const committedAt = await queueDeliveries(admin, tenant, events)
  // Generous: a tenth of the goal rate, plus start-up.
  const stats = await waitForReceiver(receiver, total, 30_000 + total * 5)
  let after = await tenantCounts(admin, tenant.id)
  const deadline = Date.now() + 10_000
  while (after.delivered - before.delivered < total && Date.now() < deadline) {
    await sleep(10)
    after = await tenantCounts(admin, tenant.id)
  }
  const databaseAt = now()

  if (options.profileFile) await worker.ask({ cmd: 'profile-stop', file: options.profileFile })
  // Results are flushed a few ms after the last answer; give stragglers (duplicates) a moment to show.
  await sleep(200)
  const costs = await meter.stop()
  const final = await receiver.ask<ReceiverStats>({ cmd: 'stats' })
  after = await tenantCounts(admin, tenant.id)
  const errors = errorLines(worker.output().slice(outputBefore))
  const notRecorded = total - (after.delivered - before.delivered)
  // A disagreement is reported, not thrown: it is what the bench exists to find. Rows whose result
  // was not recorded keep their lease and are sent again when it lapses (at least once).
  if (notRecorded === 0 && after.attempts - before.attempts !== final.requests) {
    throw new Error(`database disagrees: ${after.attempts - before.attempts} attempts recorded, the receiver had ${final.requests} requests`)
  }
  const seconds = (stats.lastAt - committedAt) / 1000
  return {
    endpoints,
    deliveries: total,
    seconds,
    deliveriesPerSec: total / seconds,
    firstMs: stats.firstAt - committedAt,
    databaseSeconds: (databaseAt - committedAt) / 1000,
    duplicates: final.duplicates,
    notRecorded,
    workerErrors: errors.length,
    firstWorkerError: errors[0] ? describeError(errors[0]) : null,
    costs,
  }
}

/** The message (and a database error's code and where) of a pino error line. */
function describeError(line: string): string {
  try {
    const entry = JSON.parse(line) as { msg?: string; err?: { message?: string; code?: string; where?: string } }
    return [entry.msg, entry.err?.message, entry.err?.code, entry.err?.where].filter(Boolean).join(' | ')
  } catch {
    return line.slice(0, 300)
  }
}
