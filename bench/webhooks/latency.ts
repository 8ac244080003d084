// Part 2: latency from commit to first attempt at a steady event rate (open loop: events are
// started on schedule whether or not earlier ones finished). Each event commits in its own
// transaction; the receiver notes when each delivery first arrived. Two clocks bound the commit:
//   - "from commit": when the committing call returned to the bench (just after the commit; for
//     HTTP, when the 201 arrived), so this latency is slightly optimistic;
//   - "from created_at": the event's created_at in the body (clock_timestamp() at the insert,
//     inside the transaction, before the commit), so this one is slightly pessimistic.
// All processes run on one machine and read one clock.
import { runWithTenant } from '../../src/context/index.ts'
import { withTenant, type Database } from '../../src/db/index.ts'
import { emitDomainEvent } from '../../src/modules/events/index.ts'
import { benchItem, now, sleep } from './events.ts'
import type { Child } from './processes.ts'
import { percentile } from './stats.ts'
import { waitForReceiver } from './throughput.ts'

export interface LatencyResult {
  events: number
  /** Events started per second, as achieved. */
  rate: number
  /** Events whose transaction (or request) failed; the percentiles cover the others. */
  failed: number
  firstFailure: string | null
  fromCommit: Percentiles
  fromCreatedAt: Percentiles
}

export interface Percentiles {
  p50: number
  p95: number
  p99: number
  max: number
}

/** Commits one event for item number n; resolves with its item_code when committed. */
export type EventSource = (n: number) => Promise<string>

/** Events through the outbox in direct transactions: withTenant + emitDomainEvent, as the app role. */
export function outboxSource(db: Database, tenantId: string, runId: string): EventSource {
  return (n) =>
    runWithTenant(
      tenantId,
      () =>
        withTenant(db, async (tx) => {
          const item = { ...benchItem(n), item_code: `${runId}-${n}` }
          await emitDomainEvent(tx, 'inventory.created', { item })
          return item.item_code
        }),
      { type: 'system', job: 'webhook-bench' },
    )
}

/**
 * Events through the API: POST /api/v1/inventory (an item, its audit entry, ledger row and event
 * in one transaction), round-robin over the tenants' tokens: one tenant's item creations run one
 * at a time (tenant row and audit chain locks), so a single tenant may not sustain the rate.
 */
export function httpSource(serverUrl: string, tokens: string[], runId: string): EventSource {
  return async (n) => {
    const itemCode = `${runId}-${n}`
    const response = await fetch(`${serverUrl}/api/v1/inventory`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[n % tokens.length]}`, 'content-type': 'application/json' },
      body: JSON.stringify({ item_code: itemCode, name: `Bench item ${n}`, quantity: 10 }),
    })
    const text = await response.text()
    if (response.status !== 201) throw new Error(`POST /api/v1/inventory: ${response.status} ${text}`)
    return itemCode
  }
}

export async function measureLatency(options: { receiver: Child; source: EventSource; rate: number; seconds: number; prefix: string }): Promise<LatencyResult> {
  const { receiver, source, rate, seconds } = options
  await receiver.ask({ cmd: 'reset', latency: true, prefix: options.prefix })
  const total = rate * seconds
  const committed = new Map<string, number>()
  const errors: unknown[] = []
  const running = new Set<Promise<void>>()
  const started = now()
  let next = 0
  while (next < total) {
    const due = Math.min(total, Math.floor(((now() - started) * rate) / 1000) + 1)
    while (next < due) {
      const run = source(next++).then(
        (itemCode) => void committed.set(itemCode, now()),
        (error: unknown) => void errors.push(error),
      )
      running.add(run)
      void run.finally(() => running.delete(run))
    }
    await sleep(1)
  }
  const achievedRate = total / ((now() - started) / 1000)
  await Promise.all(running)
  // Failed events are reported with the figures (they are a finding, e.g. a pool timing out), not thrown.
  if (errors.length === total) throw new Error(`all ${total} events failed; the first: ${String(errors[0])}`)
  await waitForReceiver(receiver, total - errors.length, 60_000)
  const arrivals = await receiver.ask<[string, number, string | null, string | null][]>({ cmd: 'arrivals' }, 60_000)

  const fromCommit: number[] = []
  const fromCreatedAt: number[] = []
  for (const [, at, createdAt, itemCode] of arrivals) {
    const commitAt = itemCode ? committed.get(itemCode) : undefined
    if (commitAt === undefined || !createdAt) throw new Error(`a delivery the bench did not send arrived (item ${itemCode})`)
    fromCommit.push(at - commitAt)
    fromCreatedAt.push(at - Date.parse(createdAt) - microseconds(createdAt))
  }
  return { events: total, rate: achievedRate, failed: errors.length, firstFailure: errors[0] ? String(errors[0]).slice(0, 300) : null, fromCommit: summarise(fromCommit), fromCreatedAt: summarise(fromCreatedAt) }
}

/** Date.parse keeps milliseconds; created_at carries microseconds (…SS.uuuuuuZ). */
function microseconds(iso: string): number {
  const fraction = /\.(\d+)Z$/.exec(iso)?.[1] ?? ''
  return fraction.length > 3 ? Number(`0.${fraction.slice(3)}`) : 0
}

function summarise(values: number[]): Percentiles {
  const sorted = Float64Array.from(values).sort()
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? 0 }
}
