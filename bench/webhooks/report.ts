// The webhook bench's console tables and its section of bench/results/latest.json (merged: the
// read bench's figures, and webhook parts not run this time, stay as they were).
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import type { Costs } from './costs.ts'
import type { LatencyResult } from './latency.ts'
import type { OutboxResult } from './outbox-load.ts'
import type { ProfileSummary } from './profile.ts'
import type { ThroughputResult } from './throughput.ts'

export const GOALS = { deliveries_per_sec: 2000, latency_p99_ms: 1000, outbox_events_per_sec: 5000, outbox_request_p99_ms: 50 } as const

export interface LatencyRun extends LatencyResult {
  name: string
  description: string
  /** Events that failed during the unrecorded warm-up. */
  warmupFailed: number
}

export interface RunContext {
  postgresVersion: string
  dispatcher: { WEBHOOK_CONCURRENCY: number; WEBHOOK_ENDPOINT_CONCURRENCY: number; WEBHOOK_LEASE_MS: number }
  loadAverageAtStart: number
}

const fixed = (value: number, digits: number) => Number(value.toFixed(digits))

export function table(header: string[], lines: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)))
  const format = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ')
  return [format(header), widths.map((width) => '-'.repeat(width)).join('  '), ...lines.map(format)].join('\n')
}

const perThousand = (value: number | null, deliveries: number) => (value === null ? null : fixed((value * 1000) / deliveries, 1))

function roundTrips(costs: Costs): number {
  return Object.values(costs.queries).reduce((sum, counter) => sum + counter.calls, 0)
}

export function throughputRows(results: ThroughputResult[]) {
  return results.map((result) => ({
    endpoints: result.endpoints,
    deliveries: result.deliveries,
    seconds: fixed(result.seconds, 2),
    deliveries_per_sec: Math.round(result.deliveriesPerSec),
    first_delivery_ms: fixed(result.firstMs, 1),
    database_agrees_after_sec: fixed(result.databaseSeconds, 2),
    duplicates: result.duplicates,
    not_recorded: result.notRecorded,
    worker_errors: result.workerErrors,
    first_worker_error: result.firstWorkerError,
    worker_cpu_ms_per_1k: perThousand(result.costs.workerCpuMs, result.deliveries),
    postgres_cpu_ms_per_1k: perThousand(result.costs.postgresCpuMs, result.deliveries),
    receiver_cpu_ms_per_1k: perThousand(result.costs.receiverCpuMs, result.deliveries),
    worker_event_loop_utilization: result.costs.workerEventLoopUtilization === null ? null : fixed(result.costs.workerEventLoopUtilization, 2),
    round_trips_per_1k: perThousand(roundTrips(result.costs), result.deliveries),
    round_trips: Object.fromEntries(
      Object.entries(result.costs.queries)
        .sort((a, b) => b[1].calls - a[1].calls)
        .map(([kind, counter]) => [kind, { calls: counter.calls, rows: counter.rows }]),
    ),
  }))
}

export function formatThroughput(results: ThroughputResult[]): string {
  const rows = throughputRows(results)
  const main = table(
    ['endpoints', 'deliveries', 's', 'deliveries/s', 'first ms', 'dup', 'errors', 'worker CPU', 'pg CPU', 'receiver CPU', 'worker ELU', 'round trips'],
    rows.map((row) => [
      String(row.endpoints), String(row.deliveries), row.seconds.toFixed(2), String(row.deliveries_per_sec), row.first_delivery_ms.toFixed(0), String(row.duplicates), String(row.worker_errors),
      String(row.worker_cpu_ms_per_1k ?? '-'), String(row.postgres_cpu_ms_per_1k ?? '-'), String(row.receiver_cpu_ms_per_1k ?? '-'),
      String(row.worker_event_loop_utilization ?? '-'), String(row.round_trips_per_1k ?? '-'),
    ]),
  )
  const detail = results.map((result) => {
    const parts = Object.entries(result.costs.queries)
      .sort((a, b) => b[1].calls - a[1].calls)
      .map(([kind, { calls, rows }]) => `${kind} ${calls}${rows > 0 && /claim|lease|record/.test(kind) ? ` (${(rows / calls).toFixed(1)} rows each)` : ''}`)
    return `  ${result.endpoints} endpoint(s), round trips: ${parts.join(', ')}`
  })
  const trouble = results
    .filter((result) => result.workerErrors > 0 || result.notRecorded > 0)
    .map((result) => `  ${result.endpoints} endpoint(s): ${result.workerErrors} worker error lines, ${result.notRecorded} deliveries not recorded as delivered 10 s after the receiver had them all; first error: ${result.firstWorkerError}`)
  return [main, '  (CPU: milliseconds per 1,000 deliveries; round trips: worker statements per 1,000 deliveries)', ...detail, ...trouble].join('\n')
}

export function latencyRows(runs: LatencyRun[]) {
  const ms = (p: LatencyResult['fromCommit']) => ({ p50: fixed(p.p50, 1), p95: fixed(p.p95, 1), p99: fixed(p.p99, 1), max: fixed(p.max, 1) })
  return runs.map((run) => ({ name: run.name, description: run.description, events: run.events, events_per_sec: Math.round(run.rate), failed: run.failed, first_failure: run.firstFailure, from_commit_ms: ms(run.fromCommit), from_created_at_ms: ms(run.fromCreatedAt) }))
}

export function formatLatency(runs: LatencyRun[]): string {
  return table(
    ['path', 'events', 'events/s', 'failed', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'p99 from created_at'],
    latencyRows(runs).map((row) => [
      row.name, String(row.events), String(row.events_per_sec), String(row.failed), row.from_commit_ms.p50.toFixed(1), row.from_commit_ms.p95.toFixed(1),
      row.from_commit_ms.p99.toFixed(1), row.from_commit_ms.max.toFixed(1), row.from_created_at_ms.p99.toFixed(1),
    ]),
  )
}

export function outboxRows(results: OutboxResult[]) {
  return results.map((result) => ({
    name: result.name,
    description: result.description,
    endpoints_per_event: result.endpointsPerEvent,
    events_per_sec: Math.round(result.requestsPerSec),
    deliveries_queued_per_sec: Math.round(result.deliveriesPerSec),
    request_p50_ms: fixed(result.latencyP50Ms, 2),
    request_p99_ms: fixed(result.latencyP99Ms, 2),
    requests: result.requests,
    server_cpu_ms_per_request: result.costs.workerCpuMs === null ? null : fixed(result.costs.workerCpuMs / result.requests, 3),
    postgres_cpu_ms_per_request: result.costs.postgresCpuMs === null ? null : fixed(result.costs.postgresCpuMs / result.requests, 3),
    server_event_loop_utilization: result.costs.workerEventLoopUtilization === null ? null : fixed(result.costs.workerEventLoopUtilization, 2),
    round_trips_per_request: fixed(roundTrips(result.costs) / result.requests, 2),
    statements: Object.fromEntries(
      Object.entries(result.costs.queries)
        .sort((a, b) => b[1].calls - a[1].calls)
        .map(([kind, counter]) => [kind, fixed(counter.calls / result.requests, 2)]),
    ),
  }))
}

export function formatOutbox(results: OutboxResult[]): string {
  const rows = outboxRows(results)
  const main = table(
    ['variant', 'endpoints', 'events/s', 'deliveries/s', 'p50 ms', 'p99 ms', 'server CPU', 'pg CPU', 'server ELU', 'round trips'],
    rows.map((row) => [
      row.name, String(row.endpoints_per_event), String(row.events_per_sec), String(row.deliveries_queued_per_sec), row.request_p50_ms.toFixed(2), row.request_p99_ms.toFixed(2),
      String(row.server_cpu_ms_per_request ?? '-'), String(row.postgres_cpu_ms_per_request ?? '-'), String(row.server_event_loop_utilization ?? '-'), row.round_trips_per_request.toFixed(1),
    ]),
  )
  const last = rows[rows.length - 1]
  const statements = last ? `  round trips of one request (${last.name}): ${Object.entries(last.statements).map(([kind, calls]) => `${kind} ${calls}`).join(', ')}` : ''
  return [main, '  (CPU: milliseconds per request; round trips: server statements per request)', statements].join('\n')
}

export function formatProfile(summary: ProfileSummary, of: string): string {
  const pct = (share: number) => `${(share * 100).toFixed(1)}%`.padStart(6)
  return [
    `${of} CPU profile: ${Math.round(summary.busyMs)} ms busy; by area:`,
    ...summary.areas.map((area) => `  ${pct(area.share)}  ${area.area}`),
    'by function (self time):',
    ...summary.functions.map((fn) => `  ${pct(fn.share)}  ${fn.name}`),
  ].join('\n')
}

export interface WebhookResults {
  throughput?: ThroughputResult[]
  latency?: LatencyRun[]
  outbox?: OutboxResult[]
  workerProfile?: ProfileSummary
  serverProfile?: ProfileSummary
}

/** Merges this run's parts into the `webhooks` section of latest.json; everything else stays. */
export function writeWebhookResults(file: string, context: RunContext, results: WebhookResults, settings: Record<string, unknown>): void {
  const existing = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {}
  const previous = (existing.webhooks ?? {}) as Record<string, unknown>
  const cpu = cpus()
  const run = {
    date: new Date().toISOString(),
    node_version: process.version,
    postgres_version: context.postgresVersion,
    cpu_count: cpu.length,
    cpu_model: cpu[0]?.model.trim() ?? 'unknown',
    load_average_1m_at_start: fixed(context.loadAverageAtStart, 2),
    dispatcher: context.dispatcher,
    settings,
  }
  const parts: Record<string, unknown> = {}
  if (results.throughput) parts.throughput = { ...run, runs: throughputRows(results.throughput) }
  if (results.latency) parts.latency = { ...run, runs: latencyRows(results.latency) }
  if (results.outbox) parts.outbox = { ...run, runs: outboxRows(results.outbox) }
  const profile = (summary: ProfileSummary) => ({ date: run.date, busy_ms: Math.round(summary.busyMs), areas: summary.areas, functions: summary.functions })
  if (results.workerProfile) parts.worker_profile = profile(results.workerProfile)
  if (results.serverProfile) parts.server_profile = profile(results.serverProfile)
  const webhooks = { goals: GOALS, ...previous, ...parts }
  const temporary = file.replace(/\.json$/, '.webhooks.tmp.json')
  writeFileSync(temporary, `${JSON.stringify({ ...existing, webhooks }, null, 2)}\n`)
  renameSync(temporary, file)
}

export const loadAverage = () => loadavg()[0]!
