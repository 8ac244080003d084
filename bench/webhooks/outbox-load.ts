// Part 3: events per second the outbox accepts inside ordinary requests. autocannon drives
// POST /api/v1/inventory on the real app with the dispatcher off: each request creates an item
// and, in the same transaction, its audit entry, its ledger row, its domain event and one
// delivery per subscribed endpoint. Variants differ in how many endpoints are subscribed (0 shows
// the request without the outbox's inserts) and in how many tenants share the load: item creation
// locks the tenant row (quota check) and the tenant's audit chain head, so one tenant's creations
// run one at a time; with one tenant per connection nothing waits for another request's locks.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Database } from '../../src/db/index.ts'
import type { CostMeter, Costs } from './costs.ts'
import { outboxSource } from './latency.ts'
import { takeSnapshot } from './process-probe.ts'
import type { PostLoadFigures, PostLoadOptions } from './outbox-load-worker.ts'
import type { Child } from './processes.ts'
import type { BenchTenant } from './setup.ts'
import { percentile } from './stats.ts'

export interface OutboxVariant {
  name: string
  description: string
  /** Connection i sends as tenant i mod tenants.length; every tenant has the same endpoints count. */
  tenants: BenchTenant[]
}

export interface OutboxResult extends PostLoadFigures {
  name: string
  description: string
  endpointsPerEvent: number
  deliveriesPerSec: number
  /** Server and PostgreSQL CPU and the server's round trips over the measured load. */
  costs: Costs
}

const WORKER = fileURLToPath(new URL('./outbox-load-worker.ts', import.meta.url))

function runPostLoad(options: PostLoadOptions): Promise<PostLoadFigures> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(options)], { maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(stderr.trim() || error.message))
      else resolve(JSON.parse(stdout) as PostLoadFigures)
    })
  })
}

export async function measureOutbox(options: {
  server: Child
  meter: CostMeter
  variant: OutboxVariant
  connections: number
  warmupSec: number
  durationSec: number
  runId: string
  /** Write a CPU profile of the server over the measured load to this file. */
  profileFile?: string
}): Promise<OutboxResult> {
  const { variant } = options
  const load = (phase: string): PostLoadOptions => ({
    url: options.server.url,
    connections: options.connections,
    durationSec: phase === 'warmup' ? options.warmupSec : options.durationSec,
    path: '/api/v1/inventory',
    body: JSON.stringify({ item_code: `${options.runId}-${phase}-[<id>]`, name: 'Bench item', description: 'An item created by the webhook benchmark', quantity: 10, unit_cost: 12.5 }),
    tenants: variant.tenants.map((tenant) => ({ authorization: `Bearer ${tenant.token}`, 'content-type': 'application/json' })),
  })
  await runPostLoad(load('warmup'))
  await options.meter.start()
  if (options.profileFile) await options.server.ask({ cmd: 'profile-start' })
  const figures = await runPostLoad(load('measured'))
  if (options.profileFile) await options.server.ask({ cmd: 'profile-stop', file: options.profileFile })
  const costs = await options.meter.stop()
  const endpointsPerEvent = variant.tenants[0]!.endpoints.length
  return { name: variant.name, description: variant.description, ...figures, endpointsPerEvent, deliveriesPerSec: figures.requestsPerSec * endpointsPerEvent, costs }
}

/**
 * The outbox alone: `connections` loops in this process, each committing events as fast as it can,
 * one transaction per event (withTenant + emitDomainEvent: the domain_events insert, the
 * deliveries insert with its NOTIFY, the commit; 3 round trips), no HTTP and no item around it.
 */
export async function measureOutboxTransactions(options: { db: Database; tenants: BenchTenant[]; connections: number; warmupSec: number; durationSec: number; meter: CostMeter }): Promise<OutboxResult> {
  const run = async (seconds: number, latencies: number[] | undefined): Promise<number> => {
    const until = performance.now() + seconds * 1000
    let events = 0
    await Promise.all(
      Array.from({ length: options.connections }, async (_, lane) => {
        const tenant = options.tenants[lane % options.tenants.length]!
        const source = outboxSource(options.db, tenant.id, `tx-${lane}-${Date.now()}`)
        for (let n = 0; performance.now() < until; n++) {
          const started = performance.now()
          await source(n)
          latencies?.push(performance.now() - started)
          events += 1
        }
      }),
    )
    return events
  }
  await run(options.warmupSec, undefined)
  const latencies: number[] = []
  await options.meter.start()
  takeSnapshot()
  const started = performance.now()
  const events = await run(options.durationSec, latencies)
  const seconds = (performance.now() - started) / 1000
  const own = takeSnapshot()
  const costs = { ...(await options.meter.stop()), workerCpuMs: own.cpuMs, workerEventLoopUtilization: own.eventLoopUtilization, queries: own.queries }
  const sorted = Float64Array.from(latencies).sort()
  const endpointsPerEvent = options.tenants[0]!.endpoints.length
  return {
    name: `outbox_tx_${options.tenants[0]!.endpoints.length}_endpoint${options.tenants[0]!.endpoints.length === 1 ? '' : 's'}`,
    description: `the outbox alone: ${options.connections} loops in the bench process, each event its own transaction (withTenant + emitDomainEvent), ${options.tenants.length} tenants, ${endpointsPerEvent} endpoint(s) each; CPU columns are the bench process's`,
    requestsPerSec: events / seconds,
    latencyP50Ms: percentile(sorted, 50),
    latencyP99Ms: percentile(sorted, 99),
    requests: events,
    endpointsPerEvent,
    deliveriesPerSec: (events / seconds) * endpointsPerEvent,
    costs,
  }
}
