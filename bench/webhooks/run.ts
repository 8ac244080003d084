// npm run bench:webhooks (also the second half of npm run bench): the webhook pipeline on
// PostgreSQL, measured in three parts (see bench/README.md, "Webhooks"):
//   1. throughput  deliveries/s a `tenantry worker` sustains from a pre-filled queue
//   2. latency     commit → first attempt at a steady event rate
//   3. outbox      events/s POST /api/v1/inventory accepts with the outbox writing deliveries
// Processes: this one (orchestration, event generation for part 2), the receiver, the app server
// and the worker, each on its own event loop; PostgreSQL on the same machine.
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { loadConfig } from '../../src/config/index.ts'
import { openDatabase } from '../../src/db/index.ts'
import { measureLatency, httpSource, outboxSource, type EventSource } from './latency.ts'
import { measureOutbox, measureOutboxTransactions, type OutboxResult, type OutboxVariant } from './outbox-load.ts'
import { CostMeter } from './costs.ts'
import { childEnv, errorLines, spawnChild, type Child } from './processes.ts'
import { summariseProfile, type ProfileSummary } from './profile.ts'
import {
  formatLatency, formatOutbox, formatProfile, formatThroughput, GOALS, loadAverage, writeWebhookResults, type LatencyRun, type RunContext, type WebhookResults,
} from './report.ts'
import { readWebhookSettings, runs, type WebhookBenchSettings } from './settings.ts'
import { createDatabase, createTenant, ensureEndpoints, runSecrets, type BenchTenant, type RunSecrets } from './setup.ts'
import { addHistory, measureThroughput, type ThroughputResult } from './throughput.ts'

const RESULTS_FILE = fileURLToPath(new URL('../results/latest.json', import.meta.url))
// Preloaded into the worker and the server: round trips by statement, CPU, profiles (process-probe.ts).
const PROBE = './bench/webhooks/process-probe.ts'
const WARMUP_DELIVERIES = 2000
const LATENCY_WARMUP_SEC = 2
// One tenant's item creations run one at a time (tenant row and audit chain locks, see part 3);
// the HTTP latency run spreads its events so that creation keeps up and the dispatcher is measured.
const LATENCY_HTTP_TENANTS = 10
const LATENCY_HTTP_PREFIX = '/wh-lat-http-'

interface Processes {
  receiver: Child
  server: Child
  admin: pg.Client
  secrets: RunSecrets
  settings: WebhookBenchSettings
  /** Environment every Tenantry process of the run shares. */
  env: Record<string, string>
}

function tenantryEnv(settings: WebhookBenchSettings, secrets: RunSecrets): Record<string, string> {
  return childEnv({
    NODE_ENV: 'test',
    DATABASE_URL: settings.benchUrl,
    ...secrets,
    SIGNUP_ENABLED: 'true',
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', // the receiver is on 127.0.0.1
    SCHEDULER_ENABLED: 'false',
    // Only the setup's sign-ups and operator calls meet a limit; the bench tenants are on the
    // custom plan, which has no rate limit and no daily quota.
    RATE_LIMIT_MULTIPLIER: '1000',
    LOG_LEVEL: 'warn',
  })
}

function startWorker(p: Processes): Promise<Child> {
  return spawnChild({
    name: 'tenantry worker',
    args: ['--import', PROBE, 'src/cli/main.ts', 'worker'],
    // info: the worker announces readiness at info level (it logs nothing per delivery).
    env: { ...p.env, LOG_LEVEL: 'info', ...p.settings.dispatcherEnv },
    readyLine: /tenantry worker running()/,
  })
}

/** Stops the child; its error lines fail the bench unless they were already reported in the figures. */
async function stopChecked(child: Child, name: string, errorsReported = false): Promise<void> {
  const code = await child.stop()
  const errors = errorLines(child.output())
  if (errors.length > 0 && !errorsReported) throw new Error(`${name} logged errors; its figures are suspect:\n${errors.slice(0, 5).join('\n')}`)
  if (code !== 0) throw new Error(`${name} exited with ${code}:\n${child.output().slice(-4000)}`)
}

async function throughputPart(p: Processes, tenants: BenchTenant[]): Promise<{ results: ThroughputResult[]; profile?: ProfileSummary; latency?: LatencyRun }> {
  const worker = await startWorker(p)
  let reported = false
  try {
    process.stdout.write(`  warm-up: ${WARMUP_DELIVERIES} deliveries … `)
    await measureThroughput({ admin: p.admin, receiver: p.receiver, worker, tenant: tenants[0]!, deliveries: WARMUP_DELIVERIES })
    console.log('done')
    const results: ThroughputResult[] = []
    let profileFile: string | undefined
    for (const [index, tenant] of tenants.entries()) {
      const file = p.settings.profile && index === 0 ? join(tmpdir(), `tenantry-webhook-worker-${Date.now()}.cpuprofile`) : undefined
      process.stdout.write(`  ${tenant.endpoints.length} endpoint(s), ${p.settings.deliveries} deliveries … `)
      const result = await measureThroughput({ admin: p.admin, receiver: p.receiver, worker, tenant, deliveries: p.settings.deliveries, ...(file ? { profileFile: file } : {}) })
      const trouble = result.workerErrors > 0 || result.notRecorded > 0 ? ` — ${result.workerErrors} worker errors, ${result.notRecorded} results not recorded (first: ${result.firstWorkerError})` : ''
      console.log(`${Math.round(result.deliveriesPerSec)}/s${trouble}`)
      results.push(result)
      profileFile ??= file
    }
    reported = true
    return { results, ...(profileFile ? { profile: summariseProfile(profileFile) } : {}) }
  } finally {
    // Errors during the measured runs are in their figures (workerErrors); anything else fails the bench.
    await stopChecked(worker, 'tenantry worker', reported)
  }
}

/** prefix: the receiver paths of the run's tenants (every endpoint path starts with /<slug>/). */
async function latencyRun(p: Processes, prefix: string, name: string, description: string, source: (runId: string) => EventSource): Promise<LatencyRun> {
  process.stdout.write(`  ${name}: warm-up … `)
  const warmup = await measureLatency({ receiver: p.receiver, source: source(`${name}-warm`), rate: p.settings.rate, seconds: LATENCY_WARMUP_SEC, prefix })
  process.stdout.write(`${p.settings.rate} events/s for ${p.settings.rateSec} s … `)
  const result = await measureLatency({ receiver: p.receiver, source: source(name), rate: p.settings.rate, seconds: p.settings.rateSec, prefix })
  console.log(`p99 ${result.fromCommit.p99.toFixed(1)} ms${result.failed > 0 ? ` — ${result.failed} events FAILED (first: ${result.firstFailure})` : ''}`)
  return { name, description, ...result, warmupFailed: warmup.failed }
}

async function latencyPart(p: Processes, sqlTenant: BenchTenant, httpTenants: BenchTenant[]): Promise<LatencyRun[]> {
  const runsOut: LatencyRun[] = []
  // (a) A worker process dispatching; events committed by this process through the outbox.
  const worker = await startWorker(p)
  let failed = false
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: p.settings.benchUrl, LOG_LEVEL: 'silent', DATABASE_POOL_MAX: '16' })
  const db = await openDatabase(config, { onPoolError: () => {} })
  try {
    const description = 'tenantry worker dispatching; each event committed by its own transaction (withTenant + emitDomainEvent, as the app role) from the bench process'
    const run = await latencyRun(p, `/${sqlTenant.slug}/`, 'worker_outbox_tx', description, (runId) => outboxSource(db, sqlTenant.id, runId))
    failed = run.failed + run.warmupFailed > 0
    runsOut.push(run)
  } finally {
    await db.close()
    await stopChecked(worker, 'tenantry worker', failed)
  }
  // (b) The server dispatching in-process while it serves the requests that create the events.
  const server = await spawnChild({ name: 'dispatching server', args: ['bench/webhooks/server.ts'], env: { ...p.env, WEBHOOK_DISPATCHER_ENABLED: 'true', ...p.settings.dispatcherEnv } })
  failed = false
  try {
    const description = `server with the in-process dispatcher; each event from POST /api/v1/inventory (JWT), round-robin over ${httpTenants.length} tenants; "commit" = the 201 arriving`
    const tokens = httpTenants.map((tenant) => tenant.token)
    const run = await latencyRun(p, LATENCY_HTTP_PREFIX, 'server_http', description, (runId) => httpSource(server.url, tokens, runId))
    failed = run.failed + run.warmupFailed > 0
    runsOut.push(run)
  } finally {
    // Failed requests log errors; they are reported with the figures.
    await stopChecked(server, 'dispatching server', failed)
  }
  return runsOut
}

/** Runs each variant after giving its tenants their endpoints (added through the API as the variants go). */
async function outboxPart(p: Processes, variants: (OutboxVariant & { endpoints: number; profile?: boolean })[]): Promise<{ results: OutboxResult[]; profile?: ProfileSummary }> {
  const results: OutboxResult[] = []
  const meter = new CostMeter(p.admin, p.receiver, p.server)
  let profile: ProfileSummary | undefined
  for (const variant of variants) {
    for (const tenant of variant.tenants) await ensureEndpoints(p.server.url, p.receiver.url, tenant, variant.endpoints)
    process.stdout.write(`  ${variant.name.padEnd(24)} `)
    const profileFile = variant.profile ? join(tmpdir(), `tenantry-webhook-server-${Date.now()}.cpuprofile`) : undefined
    const result = await measureOutbox({
      server: p.server, meter, variant, connections: p.settings.connections, warmupSec: p.settings.warmupSec, durationSec: p.settings.durationSec,
      runId: `${variant.name}-${Date.now()}`, ...(profileFile ? { profileFile } : {}),
    })
    if (profileFile) profile = summariseProfile(profileFile)
    console.log(`${Math.round(result.requestsPerSec)} req/s, p99 ${result.latencyP99Ms.toFixed(1)} ms`)
    results.push(result)
  }
  return { results, ...(profile ? { profile } : {}) }
}

/**
 * The outbox alone, without the request around it: with no endpoint the transaction sends no
 * NOTIFY, with one it does (PostgreSQL serialises the commits of notifying transactions).
 */
async function outboxTransactionsPart(p: Processes, tenants: BenchTenant[]): Promise<OutboxResult[]> {
  const { settings } = p
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: settings.benchUrl, LOG_LEVEL: 'silent', DATABASE_POOL_MAX: String(settings.connections) })
  const db = await openDatabase(config, { onPoolError: () => {} })
  const results: OutboxResult[] = []
  try {
    for (const endpoints of [0, 1]) {
      for (const tenant of tenants) await ensureEndpoints(p.server.url, p.receiver.url, tenant, endpoints)
      process.stdout.write(`  ${`outbox_tx_${endpoints}_endpoint${endpoints === 1 ? '' : 's'}`.padEnd(24)} `)
      const meter = new CostMeter(p.admin, p.receiver, undefined)
      const result = await measureOutboxTransactions({ db, tenants, connections: settings.connections, warmupSec: settings.warmupSec, durationSec: settings.durationSec, meter })
      console.log(`${Math.round(result.requestsPerSec)} events/s, p99 ${result.latencyP99Ms.toFixed(1)} ms`)
      results.push(result)
    }
  } finally {
    await db.close()
  }
  return results
}

async function main(): Promise<void> {
  const settings = readWebhookSettings()
  const started = Date.now()
  const loadAtStart = loadAverage()
  const secrets = runSecrets()
  const dispatcherConfig = loadConfig({ NODE_ENV: 'test', ...settings.dispatcherEnv })
  const context: RunContext = {
    postgresVersion: '',
    dispatcher: {
      WEBHOOK_CONCURRENCY: dispatcherConfig.WEBHOOK_CONCURRENCY,
      WEBHOOK_ENDPOINT_CONCURRENCY: dispatcherConfig.WEBHOOK_ENDPOINT_CONCURRENCY,
      WEBHOOK_LEASE_MS: dispatcherConfig.WEBHOOK_LEASE_MS,
    },
    loadAverageAtStart: loadAtStart,
  }
  console.log(`webhook bench: creating ${new URL(settings.benchUrl).pathname.slice(1)} on ${new URL(settings.benchUrl).host} (load average ${loadAtStart.toFixed(2)}) …`)
  context.postgresVersion = await createDatabase(settings.adminUrl, settings.benchUrl)
  const admin = new pg.Client({ connectionString: settings.benchUrl })
  await admin.connect()
  const env = tenantryEnv(settings, secrets)
  const receiver = await spawnChild({ name: 'receiver', args: ['bench/webhooks/receiver.ts'], env: childEnv({}) })
  let server: Child | undefined
  const results: WebhookResults = {}
  try {
    server = await spawnChild({ name: 'server', args: ['--import', PROBE, 'bench/webhooks/server.ts'], env: { ...env, WEBHOOK_DISPATCHER_ENABLED: 'false' } })
    const p: Processes = { receiver, server, admin, secrets, settings, env }
    const tenant = (slug: string, endpoints: number) => createTenant(server!.url, receiver.url, secrets, slug, endpoints)
    console.log(
      `node ${process.version}, PostgreSQL ${context.postgresVersion}; WEBHOOK_CONCURRENCY=${context.dispatcher.WEBHOOK_CONCURRENCY}, ` +
        `WEBHOOK_ENDPOINT_CONCURRENCY=${context.dispatcher.WEBHOOK_ENDPOINT_CONCURRENCY}; tenants on the custom plan (no rate limit, no quota)\n`,
    )

    if (runs(settings, 'throughput')) {
      console.log(`1. sustained deliveries/s: ${settings.deliveries} deliveries queued in one transaction, then delivered by a tenantry worker`)
      const tenants: BenchTenant[] = []
      for (const count of settings.endpointCounts) tenants.push(await tenant(`wh-t${count}`, count))
      if (settings.history > 0) {
        process.stdout.write(`  history: ${settings.history} delivered rows (another tenant) … `)
        await addHistory(admin, await tenant('wh-history', 1), settings.history)
        console.log('done')
      }
      const part = await throughputPart(p, tenants)
      results.throughput = part.results
      if (part.profile) results.workerProfile = part.profile
      console.log(`\n${formatThroughput(part.results)}\n`)
      if (part.profile) console.log(`${formatProfile(part.profile, 'worker')}\n`)
    }
    if (runs(settings, 'latency')) {
      console.log(`2. commit → first attempt at ${settings.rate} events/s for ${settings.rateSec} s (1 endpoint per tenant)`)
      const httpTenants: BenchTenant[] = []
      for (let n = 1; n <= LATENCY_HTTP_TENANTS; n++) httpTenants.push(await tenant(`${LATENCY_HTTP_PREFIX.slice(1)}${n}`, 1))
      results.latency = await latencyPart(p, await tenant('wh-lat-tx', 1), httpTenants)
      console.log(`\n${formatLatency(results.latency)}\n  (from commit: from when the committing call returned; from created_at: from the event's own timestamp, before its commit)\n`)
    }
    if (runs(settings, 'outbox')) {
      console.log(`3. POST /api/v1/inventory with the outbox, dispatcher off: autocannon, ${settings.connections} connections, ${settings.warmupSec} s warm-up + ${settings.durationSec} s`)
      const single = await tenant('wh-ob-single', 0)
      const spread: BenchTenant[] = []
      for (let n = 1; n <= settings.outboxTenants; n++) spread.push(await tenant(`wh-ob-m${n}`, 0))
      const many = `${settings.outboxTenants}_tenants`
      const variants = [
        { name: '1_tenant_0_endpoints', description: 'one tenant, no endpoint subscribed: the domain event is written, the outbox insert finds no endpoint', tenants: [single], endpoints: 0 },
        { name: '1_tenant_1_endpoint', description: 'one tenant, one endpoint subscribed: one delivery per event', tenants: [single], endpoints: 1 },
        { name: '1_tenant_10_endpoints', description: 'one tenant, ten endpoints subscribed: ten deliveries per event', tenants: [single], endpoints: 10 },
        { name: `${many}_0_endpoints`, description: `${settings.outboxTenants} tenants (one per connection), no endpoint subscribed`, tenants: spread, endpoints: 0 },
        { name: `${many}_1_endpoint`, description: `${settings.outboxTenants} tenants (one per connection), one endpoint each`, tenants: spread, endpoints: 1, profile: settings.profile },
        { name: `${many}_10_endpoints`, description: `${settings.outboxTenants} tenants (one per connection), ten endpoints each`, tenants: spread, endpoints: 10 },
      ]
      const part = await outboxPart(p, variants)
      const txTenants: BenchTenant[] = []
      for (let n = 1; n <= settings.outboxTenants; n++) txTenants.push(await tenant(`wh-ob-tx${n}`, 0))
      part.results.push(...(await outboxTransactionsPart(p, txTenants)))
      results.outbox = part.results
      if (part.profile) results.serverProfile = part.profile
      console.log(`\n${formatOutbox(part.results)}\n`)
      if (part.profile) console.log(`${formatProfile(part.profile, `server (${many}_1_endpoint)`)}\n`)
    }
  } finally {
    if (server) await stopChecked(server, 'server')
    await receiver.stop()
    await admin.end()
  }

  summarise(results)
  writeWebhookResults(RESULTS_FILE, context, results, {
    deliveries: settings.deliveries,
    history: settings.history,
    endpoint_counts: settings.endpointCounts,
    rate: settings.rate,
    rate_sec: settings.rateSec,
    connections: settings.connections,
    duration_sec: settings.durationSec,
    outbox_tenants: settings.outboxTenants,
  })
  console.log(`webhooks section written to bench/results/latest.json in ${Math.round((Date.now() - started) / 1000)} s`)
}

function summarise(results: { throughput?: ThroughputResult[]; latency?: LatencyRun[]; outbox?: OutboxResult[] }): void {
  const lines: string[] = []
  for (const run of results.throughput ?? []) {
    lines.push(`deliveries/s, ${run.endpoints} endpoint(s): ${Math.round(run.deliveriesPerSec)} (goal >= ${GOALS.deliveries_per_sec})`)
  }
  for (const run of results.latency ?? []) {
    lines.push(`p99 commit → first attempt, ${run.name}: ${run.fromCommit.p99.toFixed(1)} ms (goal < ${GOALS.latency_p99_ms})`)
  }
  for (const run of results.outbox ?? []) {
    lines.push(`outbox ${run.name}: ${Math.round(run.requestsPerSec)} events/s, request p99 ${run.latencyP99Ms.toFixed(1)} ms (goal >= ${GOALS.outbox_events_per_sec}/s, p99 < ${GOALS.outbox_request_p99_ms} ms)`)
  }
  if (lines.length > 0) console.log(`${lines.join('\n')}\n`)
}

main().catch((error: unknown) => {
  console.error('\nwebhook bench failed:', error)
  process.exitCode = 1
})
