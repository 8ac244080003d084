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
import { webhookDeliveryDurationSeconds, webhookQueueDepth } from '../../../observability/metrics.ts'
import { WEBHOOK_WAKE_CHANNEL } from '../wake-signal.ts'
import { signDelivery } from '../signing/index.ts'
import { assertLiteralTargetAllowed } from '../ssrf/index.ts'
import { firstUnsendableHeader } from '../endpoint-headers.ts'
import { claimDue, leaseForSending, queueStats, releaseClaims, type ClaimedDelivery, type DeliveryResult } from './delivery-store.ts'
import type { DispatcherDeps } from './dispatcher-settings.ts'
import { EndpointLanes, type EndpointLane } from './endpoint-lanes.ts'
import { HttpSender, type SendResult } from './http-sender.ts'
import { SYSTEM_ACTOR, type Job } from './job.ts'
import { ResultRecorder } from './result-recorder.ts'
import { nextRetry, parseRetryAfter, type RetryPolicy } from './retry-schedule.ts'
import { SecretCache } from './secret-cache.ts'
import { Wakeup } from './wakeup.ts'

export type { DispatcherDeps, DispatcherSettings } from './dispatcher-settings.ts'

export type DispatcherState = 'stopped' | 'running' | 'stopping'

export interface DispatcherHealth {
  state: DispatcherState
  in_flight: number
  queue_depth: number | null
  oldest_due_age_s: number | null
  /** Seconds since an attempt of this dispatcher last ended (or since it started, before the first). */
  last_attempt_age_s: number | null
  /** Running, deliveries due for longer than the stall threshold, and no attempt ended meanwhile. */
  stalled: boolean
}

const CLAIM_BATCH = 200
const RELEASE_DELAY_MS = 1000
const STATS_INTERVAL_MS = 5000
const LISTEN_RETRY_MS = 5000
// Twice the longest attempt (D63): a dispatcher that ends no attempt in that time while work is due is stuck.
const DEFAULT_STALL_AFTER_MS = 120_000

export class WebhookDispatcher {
  private state: DispatcherState = 'stopped'
  private loop: Promise<void> | undefined
  private readonly wakeup = new Wakeup()
  private readonly sender: HttpSender
  private readonly secrets: SecretCache
  private readonly policy: Omit<RetryPolicy, 'maxRetries'>
  private readonly lanes: EndpointLanes
  private readonly results: ResultRecorder
  private readonly abort = new AbortController()
  private readonly slotFreed = new Wakeup()
  private active = 0
  private unlisten: (() => Promise<void>) | undefined
  private statsTimer: NodeJS.Timeout | undefined
  private lastStats: { due: number; oldestDueAt: Date | null } | undefined
  /** When an attempt last ended (or the dispatcher started): /health's sign of progress. */
  private lastAttemptEndedAt: number | undefined

  private readonly deps: DispatcherDeps

  constructor(deps: DispatcherDeps) {
    this.deps = deps
    const { settings } = deps
    this.sender = new HttpSender({ allowPrivate: settings.allowPrivateTargets, connectionsPerOrigin: settings.perEndpointConcurrency, ...(deps.resolve ? { resolve: deps.resolve } : {}), ...(deps.createPool ? { createPool: deps.createPool } : {}) })
    this.secrets = new SecretCache(deps.webhooks)
    this.policy = { delaysMs: settings.retryDelaysMs, jitter: settings.jitter ?? 0.1, retryAfterCapMs: settings.retryAfterCapMs ?? 3_600_000 }
    this.lanes = new EndpointLanes(settings, (job, lane) => void this.attempt(job, lane))
    this.results = new ResultRecorder(deps, (count) => this.freeSlots(count))
  }

  async start(): Promise<void> {
    if (this.state !== 'stopped') return
    this.state = 'running'
    this.lastAttemptEndedAt = Date.now()
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
    const stallAfterMs = this.deps.settings.stallAfterMs ?? DEFAULT_STALL_AFTER_MS
    const now = Date.now()
    const stalled = this.state === 'running' && (stats?.due ?? 0) > 0 && stats?.oldestDueAt != null && now - stats.oldestDueAt.getTime() > stallAfterMs
      && this.lastAttemptEndedAt !== undefined && now - this.lastAttemptEndedAt > stallAfterMs
    return {
      stalled,
      state: this.state,
      in_flight: this.active,
      queue_depth: stats?.due ?? null,
      oldest_due_age_s: stats?.oldestDueAt ? secondsSince(stats.oldestDueAt.getTime()) : stats ? 0 : null,
      last_attempt_age_s: this.lastAttemptEndedAt === undefined ? null : secondsSince(this.lastAttemptEndedAt),
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
          if (!this.lanes.enqueue(job)) released.push(delivery.id)
        }
        if (released.length > 0) {
          await releaseClaims(this.deps.db, released, token, RELEASE_DELAY_MS).catch((error) => this.deps.logger.warn({ err: error }, 'could not release webhook claims'))
          this.freeSlots(released.length)
        }
      },
      SYSTEM_ACTOR,
    )
  }

  private async attempt(job: Job, lane: EndpointLane): Promise<void> {
    try {
      const result = await runWithTenant(job.tenantId, () => this.deliver(job), SYSTEM_ACTOR)
      this.lastAttemptEndedAt = Date.now()
      if (result) this.results.buffer(job, result)
      else await this.release(job)
    } catch (error) {
      this.deps.logger.error({ err: error, tenant_id: job.tenantId, delivery_id: job.delivery.id }, 'webhook attempt failed unexpectedly; the delivery returns after its lease')
      this.freeSlots(1)
    } finally {
      for (const next of this.lanes.afterAttempt(job, lane, this.state === 'running')) void this.attempt(next, lane)
      // Shutting down: what still waits goes back to the queue.
      if (this.state !== 'running') for (const waiting of this.lanes.takeWaiting(lane)) void this.release(waiting)
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
      // Stored before the API refused them, or written another way: never handed to the client.
      const unsendable = firstUnsendableHeader(delivery.headers ?? {})
      if (unsendable) throw new UnsendableHeaderError(unsendable.header, unsendable.reason)
      await assertLiteralTargetAllowed(url, this.deps.settings.allowPrivateTargets)
      const secrets = await this.secrets.get(delivery)
      const signed = signDelivery({ body: delivery.body, eventId: delivery.event_id, eventType: delivery.event_type, tenantId, secrets })
      // The signed headers win over an endpoint's own (creation refuses clashing names anyway).
      sent = await this.sender.send(url, { ...delivery.headers, ...signed }, delivery.body, delivery.timeout_ms, this.abort.signal)
    } catch (error) {
      sent = { durationMs: Date.now() - startedAt.getTime(), error: error instanceof UnsendableHeaderError ? error.message : errorText(error) }
    }
    if (this.abort.signal.aborted && sent.statusCode === undefined) return undefined
    return this.judge(delivery, base, sent)
  }

  private judge(delivery: ClaimedDelivery, base: Pick<DeliveryResult, 'deliveryId' | 'token' | 'endpointId' | 'startedAt'>, sent: SendResult): DeliveryResult {
    const status = sent.statusCode
    const common = { ...base, sent: true, durationMs: sent.durationMs, statusCode: status ?? null, responseBody: sent.responseBody ?? null }
    webhookDeliveryDurationSeconds.observe(sent.durationMs / 1000)
    this.lanes.noteAttempt(delivery.endpoint_id, sent.durationMs, sent.statusCode !== undefined)
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

/** An endpoint header the client cannot send: the attempt fails before any connection. */
class UnsendableHeaderError extends Error {
  constructor(header: string, reason: string) {
    super(`header ${JSON.stringify(header)} cannot be sent: ${reason}; change the endpoint's headers`)
  }
}

function secondsSince(time: number): number {
  return Math.max(0, Math.round((Date.now() - time) / 1000))
}

function errorText(error: unknown): string {
  if (error instanceof Error) return `${(error as NodeJS.ErrnoException).code ?? error.name}: ${error.message}`
  return String(error)
}
