// The webhook dispatcher (DESIGN §10): claims due deliveries of every tenant, sends each under
// its tenant's context, records every attempt, and schedules retries or dead-letters.
//
// Life of a delivery here: claimed (leased to a token) → leased for sending (lease stretched to the
// endpoint's timeout) → sent → its result buffered → recorded with its tenant's other results in
// one transaction → its slot freed. If the process dies anywhere in between, the row keeps its
// lease and another dispatcher (or this one, restarted) takes it when the lease lapses: at least
// once, never lost. In normal operation a delivery is sent once: rows are claimed with SKIP LOCKED
// and results are written only while the row still carries the claim's token.
import { randomUUID } from 'node:crypto'
import { runWithTenant } from '../../../context/index.ts'
import { withTenant, type Database } from '../../../db/index.ts'
import type { Logger } from '../../../observability/logger.ts'
import { webhookDeliveriesTotal, webhookDeliveryDurationSeconds, webhookQueueDepth } from '../../../observability/metrics.ts'
import { recordAudit } from '../../audit/index.ts'
import { WEBHOOK_WAKE_CHANNEL } from '../wake-signal.ts'
import { signDelivery } from '../signing/index.ts'
import { assertLiteralTargetAllowed, type Resolver } from '../ssrf/index.ts'
import type { WebhooksService } from '../webhooks.service.ts'
import { claimDue, leaseForSending, queueStats, recordResults, releaseClaims, type ClaimedDelivery, type DeliveryResult } from './delivery-store.ts'
import { HttpSender, type SendResult } from './http-sender.ts'
import { nextRetry, parseRetryAfter, type RetryPolicy } from './retry-schedule.ts'
import { SecretCache } from './secret-cache.ts'
import { Wakeup } from './wakeup.ts'

export interface DispatcherSettings {
  allowPrivateTargets: boolean
  retryDelaysMs: readonly number[]
  /** Attempts in flight (claimed, not yet recorded) in this dispatcher. */
  concurrency: number
  perEndpointConcurrency: number
  leaseMs: number
  /** 0: never disable for persistent failure (410 still disables). */
  disableAfterMs: number
  /** Longest wait between looks at the queue when nothing woke us (other instances' retries). */
  idlePollMs?: number
  jitter?: number
  retryAfterCapMs?: number
}

export interface DispatcherDeps {
  db: Database
  webhooks: WebhooksService
  logger: Logger
  settings: DispatcherSettings
  /** Tests inject resolvers (DNS rebinding); the system resolver otherwise. */
  resolve?: Resolver
  /** Called once per delivered delivery (usage metering). */
  onDelivered?: (tenantId: string) => void
  random?: () => number
}

export type DispatcherState = 'stopped' | 'running' | 'stopping'

export interface DispatcherHealth {
  state: DispatcherState
  in_flight: number
  queue_depth: number | null
  oldest_due_age_s: number | null
}

const CLAIM_BATCH = 200
const RESULT_FLUSH_SIZE = 200
const RESULT_FLUSH_DELAY_MS = 5
// An endpoint this many times its concurrency behind (more when it answers fast, see backlogLimit)
// gets further claims back in the queue, so a slow receiver cannot occupy every slot or outlive
// the leases of what waits for it.
const ENDPOINT_BACKLOG_FACTOR = 2
const RELEASE_DELAY_MS = 1000
const LATENCY_ENTRIES = 10_000
const STATS_INTERVAL_MS = 5000
const LISTEN_RETRY_MS = 5000
const SYSTEM_ACTOR = { type: 'system', job: 'webhook-dispatcher' } as const

interface Job {
  tenantId: string
  token: string
  delivery: ClaimedDelivery
}

interface EndpointLane {
  running: number
  waiting: Job[]
}

export class WebhookDispatcher {
  private state: DispatcherState = 'stopped'
  private loop: Promise<void> | undefined
  private readonly wakeup = new Wakeup()
  private readonly sender: HttpSender
  private readonly secrets: SecretCache
  private readonly policy: Omit<RetryPolicy, 'maxRetries'>
  private readonly lanes = new Map<string, EndpointLane>()
  private readonly latency = new Map<string, number>()
  private readonly pending = new Map<string, DeliveryResult[]>() // tenant id → results
  private pendingCount = 0
  private flushTimer: NodeJS.Timeout | undefined
  private flushing: Promise<void> = Promise.resolve()
  private readonly abort = new AbortController()
  private readonly slotFreed = new Wakeup()
  private active = 0
  private unlisten: (() => Promise<void>) | undefined
  private statsTimer: NodeJS.Timeout | undefined
  private lastStats: { due: number; oldestDueAt: Date | null } | undefined

  constructor(private readonly deps: DispatcherDeps) {
    const { settings } = deps
    this.sender = new HttpSender({ allowPrivate: settings.allowPrivateTargets, connectionsPerOrigin: settings.perEndpointConcurrency, ...(deps.resolve ? { resolve: deps.resolve } : {}) })
    this.secrets = new SecretCache(deps.webhooks)
    this.policy = { delaysMs: settings.retryDelaysMs, jitter: settings.jitter ?? 0.1, retryAfterCapMs: settings.retryAfterCapMs ?? 3_600_000 }
  }

  async start(): Promise<void> {
    if (this.state !== 'stopped') return
    this.state = 'running'
    await this.listen()
    this.statsTimer = setInterval(() => void this.refreshStats(), STATS_INTERVAL_MS)
    this.statsTimer.unref()
    this.loop = this.run()
    this.deps.logger.info({ concurrency: this.deps.settings.concurrency }, 'webhook dispatcher started')
  }

  /**
   * Stops claiming, lets attempts in flight finish for up to graceMs, aborts the rest, records
   * what finished and hands every unfinished claim back to the queue at once.
   */
  async stop(graceMs = 5000): Promise<void> {
    if (this.state !== 'running') return
    this.state = 'stopping'
    clearInterval(this.statsTimer)
    this.wakeup.wake()
    this.slotFreed.wake()
    await this.loop
    const deadline = Date.now() + graceMs
    while (this.active > 0 && Date.now() < deadline) await this.slotFreed.wait(Math.min(100, deadline - Date.now()))
    this.abort.abort()
    while (this.active > 0) await this.slotFreed.wait(100)
    await this.unlisten?.().catch(() => undefined)
    await this.sender.close()
    this.state = 'stopped'
    this.deps.logger.info('webhook dispatcher stopped')
  }

  /**
   * LISTEN for new work. A database that is down at start must not stop the process: the loop
   * polls meanwhile, and listening is tried again every few seconds until it works.
   */
  private async listen(): Promise<void> {
    try {
      this.unlisten = await this.deps.db.listen(WEBHOOK_WAKE_CHANNEL, () => this.wakeup.wake())
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'webhook dispatcher cannot LISTEN yet; polling until it can')
      const retry = setTimeout(() => {
        if (this.state === 'running') void this.listen()
      }, LISTEN_RETRY_MS)
      retry.unref()
    }
  }

  async health(): Promise<DispatcherHealth> {
    const stats = await this.refreshStats()
    return {
      state: this.state,
      in_flight: this.active,
      queue_depth: stats?.due ?? null,
      oldest_due_age_s: stats?.oldestDueAt ? Math.max(0, Math.round((Date.now() - stats.oldestDueAt.getTime()) / 1000)) : stats ? 0 : null,
    }
  }

  private async run(): Promise<void> {
    const { settings } = this.deps
    while (this.state === 'running') {
      const free = settings.concurrency - this.active
      // Claim in batches: one claim, one lease and one record per batch instead of per delivery.
      // While work is in flight, wait until a useful batch of slots is free.
      if (free <= 0 || (this.active > 0 && free < Math.min(CLAIM_BATCH, Math.ceil(settings.concurrency / 2)))) {
        await this.slotFreed.wait(1000)
        continue
      }
      const limit = Math.min(free, CLAIM_BATCH)
      const token = randomUUID()
      let claimed: { tenant_id: string; delivery_id: string }[]
      try {
        claimed = await claimDue(this.deps.db, limit, settings.leaseMs, token)
      } catch (error) {
        this.deps.logger.warn({ err: error }, 'webhook claim failed; trying again shortly')
        await this.wakeup.wait(1000)
        continue
      }
      if (claimed.length > 0) {
        this.active += claimed.length
        for (const [tenantId, ids] of groupByTenant(claimed)) void this.startTenant(tenantId, ids, token)
      }
      // A short batch means the due queue is empty: wait for a NOTIFY, a retry coming due, or the poll.
      if (claimed.length < limit) await this.wakeup.wait(settings.idlePollMs ?? 2000)
    }
  }

  private startTenant(tenantId: string, ids: string[], token: string): Promise<void> {
    return runWithTenant(
      tenantId,
      async () => {
        let deliveries: ClaimedDelivery[] = []
        try {
          // Sending may take the endpoint's whole timeout: the lease covers it plus the usual lease.
          deliveries = await leaseForSending(this.deps.db, ids, token, this.deps.settings.leaseMs)
        } catch (error) {
          // The leases lapse and the rows come back: nothing is lost, only delayed.
          this.deps.logger.warn({ err: error, tenant_id: tenantId }, 'could not read claimed webhook deliveries')
        }
        this.freeSlots(ids.length - deliveries.length)
        const released: string[] = []
        for (const delivery of deliveries) {
          const job = { tenantId, token, delivery }
          if (!this.enqueue(job)) released.push(delivery.id)
        }
        if (released.length > 0) {
          await releaseClaims(this.deps.db, released, token, RELEASE_DELAY_MS).catch((error) => this.deps.logger.warn({ err: error }, 'could not release webhook claims'))
          this.freeSlots(released.length)
        }
      },
      SYSTEM_ACTOR,
    )
  }

  /** Runs the job now or after the endpoint's running ones; false when its backlog is full. */
  private enqueue(job: Job): boolean {
    const { perEndpointConcurrency } = this.deps.settings
    const lane = this.lanes.get(job.delivery.endpoint_id) ?? { running: 0, waiting: [] }
    this.lanes.set(job.delivery.endpoint_id, lane)
    if (lane.running < perEndpointConcurrency) {
      lane.running += 1
      void this.attempt(job, lane)
      return true
    }
    if (lane.waiting.length >= this.backlogLimit(job.delivery)) return false
    lane.waiting.push(job)
    return true
  }

  /**
   * How many deliveries may wait for an endpoint's busy connections: as many as it can answer
   * well within their lease at its recent speed (a fast receiver takes a whole batch), at least
   * twice its concurrency (a slow or new one), never more than the dispatcher's concurrency.
   */
  private backlogLimit(delivery: ClaimedDelivery): number {
    const { perEndpointConcurrency, concurrency, leaseMs } = this.deps.settings
    const floor = perEndpointConcurrency * ENDPOINT_BACKLOG_FACTOR
    const recentMs = this.latency.get(delivery.endpoint_id)
    if (recentMs === undefined) return floor
    const waves = Math.floor(leaseMs / 2 / Math.max(recentMs, 1))
    return Math.min(concurrency, Math.max(floor, waves * perEndpointConcurrency))
  }

  /** Exponentially weighted recent attempt duration per endpoint (bounded map). */
  private noteLatency(endpointId: string, durationMs: number): void {
    const previous = this.latency.get(endpointId)
    if (previous === undefined && this.latency.size >= LATENCY_ENTRIES) this.latency.clear()
    this.latency.set(endpointId, previous === undefined ? durationMs : previous * 0.8 + durationMs * 0.2)
  }

  private async attempt(job: Job, lane: EndpointLane): Promise<void> {
    try {
      const result = await runWithTenant(job.tenantId, () => this.deliver(job), SYSTEM_ACTOR)
      if (result) this.buffer(job, result)
      else await this.release(job)
    } catch (error) {
      this.deps.logger.error({ err: error, tenant_id: job.tenantId, delivery_id: job.delivery.id }, 'webhook attempt failed unexpectedly; the delivery returns after its lease')
      this.freeSlots(1)
    } finally {
      const next = this.state === 'running' ? lane.waiting.shift() : undefined
      if (next) void this.attempt(next, lane)
      else {
        lane.running -= 1
        if (lane.running === 0 && lane.waiting.length === 0) this.lanes.delete(job.delivery.endpoint_id)
      }
      // Shutting down: what still waits goes back to the queue.
      if (this.state !== 'running') for (const waiting of lane.waiting.splice(0)) void this.release(waiting)
    }
  }

  /** One attempt; undefined when the dispatcher was stopped mid-way (the claim is released). */
  private async deliver({ tenantId, token, delivery }: Job): Promise<DeliveryResult | undefined> {
    const startedAt = new Date()
    const base = { deliveryId: delivery.id, token, endpointId: delivery.endpoint_id, startedAt, statusCode: null, responseBody: null, nextAttemptAt: null }
    if (delivery.endpoint_status !== 'active') {
      return { ...base, outcome: 'dlq', sent: false, durationMs: 0, error: 'endpoint disabled' }
    }
    const url = new URL(delivery.url)
    let sent: SendResult
    try {
      await assertLiteralTargetAllowed(url, this.deps.settings.allowPrivateTargets)
      const secrets = await this.secrets.get(delivery)
      const signed = signDelivery({ body: delivery.body, eventId: delivery.event_id, eventType: delivery.event_type, tenantId, secrets })
      // The signed headers win over an endpoint's own (creation refuses clashing names anyway).
      sent = await this.sender.send(url, { ...delivery.headers, ...signed }, delivery.body, delivery.timeout_ms, this.abort.signal)
    } catch (error) {
      sent = { durationMs: Date.now() - startedAt.getTime(), error: errorText(error) }
    }
    if (this.abort.signal.aborted && sent.statusCode === undefined) return undefined
    return this.judge(delivery, base, sent)
  }

  private judge(delivery: ClaimedDelivery, base: Pick<DeliveryResult, 'deliveryId' | 'token' | 'endpointId' | 'startedAt'>, sent: SendResult): DeliveryResult {
    const status = sent.statusCode
    const common = { ...base, sent: true, durationMs: sent.durationMs, statusCode: status ?? null, responseBody: sent.responseBody ?? null }
    webhookDeliveryDurationSeconds.observe(sent.durationMs / 1000)
    this.noteLatency(delivery.endpoint_id, sent.durationMs)
    if (status !== undefined && status >= 200 && status < 300) {
      return { ...common, outcome: 'delivered', error: null, nextAttemptAt: null }
    }
    const error = sent.error ?? `HTTP ${status}`
    if (status === 410) return { ...common, outcome: 'gone', error: 'HTTP 410 Gone: endpoint disabled', nextAttemptAt: null }
    const attemptsSoFar = delivery.attempts - delivery.replayed_at_attempt + 1
    const decision = nextRetry({ ...this.policy, maxRetries: delivery.retry_count }, attemptsSoFar, parseRetryAfter(sent.retryAfter), this.deps.random)
    if (!decision.retry) return { ...common, outcome: 'dlq', error, nextAttemptAt: null }
    const nextAttemptAt = new Date(Date.now() + decision.delayMs)
    // A retry we scheduled ourselves: look again when it is due instead of waiting for a poll.
    this.wakeup.wakeAt(nextAttemptAt.getTime())
    return { ...common, outcome: 'failed', error, nextAttemptAt }
  }

  private buffer(job: Job, result: DeliveryResult): void {
    webhookDeliveriesTotal.inc({ event: job.delivery.event_type, status: result.outcome === 'gone' ? 'dlq' : result.outcome })
    const list = this.pending.get(job.tenantId) ?? []
    list.push(result)
    this.pending.set(job.tenantId, list)
    this.pendingCount += 1
    if (this.pendingCount >= RESULT_FLUSH_SIZE) this.scheduleFlush(0)
    else this.scheduleFlush(RESULT_FLUSH_DELAY_MS)
  }

  private scheduleFlush(delayMs: number): void {
    if (this.flushTimer && delayMs > 0) return
    clearTimeout(this.flushTimer)
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined
      this.flushing = this.flushing.then(() => this.flush())
    }, delayMs)
  }

  /** Writes buffered results, one transaction per tenant, then frees their slots. */
  private async flush(): Promise<void> {
    const batches = [...this.pending]
    this.pending.clear()
    this.pendingCount = 0
    await Promise.all(
      batches.map(async ([tenantId, results]) => {
        try {
          await runWithTenant(tenantId, () => this.record(tenantId, results), SYSTEM_ACTOR)
          for (const result of results) if (result.outcome === 'delivered') this.deps.onDelivered?.(tenantId)
        } catch (error) {
          // Unrecorded results: the rows keep their lease and are sent again when it lapses.
          this.deps.logger.error({ err: error, tenant_id: tenantId, results: results.length }, 'could not record webhook results; they will be retried after the lease')
        } finally {
          this.freeSlots(results.length)
        }
      }),
    )
  }

  private async record(tenantId: string, results: DeliveryResult[]): Promise<void> {
    await withTenant(this.deps.db, async (tx) => {
      const disabled = await recordResults(tx, results, this.deps.settings.disableAfterMs)
      for (const endpointId of disabled) {
        const gone = results.some((result) => result.endpointId === endpointId && result.outcome === 'gone')
        const reason = gone ? 'receiver answered 410 Gone' : 'failing without a success for too long'
        await recordAudit(tx, { action: 'webhook.disabled', resourceType: 'webhook', resourceId: endpointId, changes: { status: { from: 'active', to: 'disabled' }, reason } })
        this.deps.logger.warn({ tenant_id: tenantId, webhook_id: endpointId, reason }, 'webhook endpoint disabled')
      }
    })
  }

  private async release(job: Job): Promise<void> {
    try {
      await runWithTenant(job.tenantId, () => releaseClaims(this.deps.db, [job.delivery.id], job.token, 0), SYSTEM_ACTOR)
    } catch (error) {
      this.deps.logger.warn({ err: error, delivery_id: job.delivery.id }, 'could not release a webhook claim; it returns after its lease')
    } finally {
      this.freeSlots(1)
    }
  }

  private freeSlots(count: number): void {
    if (count <= 0) return
    this.active -= count
    this.slotFreed.wake()
  }

  private async refreshStats(): Promise<{ due: number; oldestDueAt: Date | null } | undefined> {
    try {
      this.lastStats = await queueStats(this.deps.db)
      webhookQueueDepth.set(this.lastStats.due)
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'could not read the webhook queue depth')
    }
    return this.lastStats
  }
}

function groupByTenant(keys: { tenant_id: string; delivery_id: string }[]): Map<string, string[]> {
  const groups = new Map<string, string[]>()
  for (const { tenant_id, delivery_id } of keys) {
    const ids = groups.get(tenant_id) ?? []
    ids.push(delivery_id)
    groups.set(tenant_id, ids)
  }
  return groups
}

function errorText(error: unknown): string {
  if (error instanceof Error) return `${(error as NodeJS.ErrnoException).code ?? error.name}: ${error.message}`
  return String(error)
}
