// Everything the webhook bench reads from the environment (see bench/README.md, "Webhooks").
// The connection settings and the autocannon settings are the read bench's (bench/settings.ts).
import { list, nonNegativeInteger, positiveInteger, readSettings, withDatabase } from '../settings.ts'

export interface WebhookBenchSettings {
  /** A superuser; drops and creates BENCH_WEBHOOK_DATABASE on that server. */
  adminUrl: string
  /** The fresh bench database, as the same (superuser) owner. */
  benchUrl: string
  /** Deliveries pre-queued per throughput run (BENCH_WEBHOOK_DELIVERIES). */
  deliveries: number
  /** Delivered rows put in the table before the throughput runs, as the retention window keeps them (BENCH_WEBHOOK_HISTORY). */
  history: number
  /** Endpoint counts the pre-queued deliveries are spread over, one run each (BENCH_WEBHOOK_ENDPOINTS). */
  endpointCounts: number[]
  /** Events per second for the latency runs (BENCH_WEBHOOK_RATE) and for how long (BENCH_WEBHOOK_RATE_SEC). */
  rate: number
  rateSec: number
  /** autocannon seconds per outbox variant (BENCH_DURATION) and connections (BENCH_CONNECTIONS). */
  durationSec: number
  warmupSec: number
  connections: number
  /** Tenants the multi-tenant outbox variants and the HTTP latency run spread their requests over (BENCH_WEBHOOK_TENANTS; default: one per connection). */
  outboxTenants: number
  /** Which parts run (BENCH_WEBHOOK_ONLY: throughput,latency,outbox); empty = all. */
  only: string[]
  /** Profile the worker during the first throughput run and print where its CPU went (BENCH_WEBHOOK_PROFILE=1). */
  profile: boolean
  /** Extra env for the dispatching processes, e.g. WEBHOOK_ENDPOINT_CONCURRENCY=32 (BENCH_WEBHOOK_DISPATCHER_ENV, k=v,k=v). */
  dispatcherEnv: Record<string, string>
}

export const WEBHOOK_BENCH_DATABASE = 'tenantry_bench_webhooks'
export const PARTS = ['throughput', 'latency', 'outbox'] as const
export type Part = (typeof PARTS)[number]

export function readWebhookSettings(env: NodeJS.ProcessEnv = process.env): WebhookBenchSettings {
  const base = readSettings(env)
  const only = list(env.BENCH_WEBHOOK_ONLY)
  for (const part of only) if (!(PARTS as readonly string[]).includes(part)) throw new Error(`BENCH_WEBHOOK_ONLY: unknown part ${part} (one of ${PARTS.join(', ')})`)
  const endpointCounts = list(env.BENCH_WEBHOOK_ENDPOINTS ?? '1,10').map((raw) => {
    const value = Number(raw)
    if (!Number.isInteger(value) || value < 1 || value > 100) throw new Error(`BENCH_WEBHOOK_ENDPOINTS: ${raw} is not an endpoint count (1-100)`)
    return value
  })
  return {
    adminUrl: base.adminUrl,
    benchUrl: withDatabase(base.adminUrl, WEBHOOK_BENCH_DATABASE),
    deliveries: positiveInteger(env, 'BENCH_WEBHOOK_DELIVERIES', 20_000),
    history: nonNegativeInteger(env, 'BENCH_WEBHOOK_HISTORY', 0),
    endpointCounts,
    rate: positiveInteger(env, 'BENCH_WEBHOOK_RATE', 500),
    rateSec: positiveInteger(env, 'BENCH_WEBHOOK_RATE_SEC', 10),
    durationSec: base.durationSec,
    warmupSec: base.warmupSec,
    connections: base.connections,
    outboxTenants: positiveInteger(env, 'BENCH_WEBHOOK_TENANTS', base.connections),
    only,
    profile: env.BENCH_WEBHOOK_PROFILE === '1' || env.BENCH_WEBHOOK_PROFILE === 'true',
    dispatcherEnv: Object.fromEntries(
      list(env.BENCH_WEBHOOK_DISPATCHER_ENV).map((pair) => {
        const at = pair.indexOf('=')
        if (at < 1 || !pair.startsWith('WEBHOOK_')) throw new Error(`BENCH_WEBHOOK_DISPATCHER_ENV: ${pair} is not WEBHOOK_NAME=value`)
        return [pair.slice(0, at), pair.slice(at + 1)]
      }),
    ),
  }
}

export function runs(settings: WebhookBenchSettings, part: Part): boolean {
  return settings.only.length === 0 || settings.only.includes(part)
}
