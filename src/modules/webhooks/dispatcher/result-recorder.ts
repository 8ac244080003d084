// Attempt results wait here a few milliseconds so that each tenant's are recorded together, in one
// transaction (delivery rows, attempt rows, endpoint health, D28); only then are their slots freed.
import { runWithTenant } from '../../../context/index.ts'
import { withTenant } from '../../../db/index.ts'
import { webhookDeliveriesTotal } from '../../../observability/metrics.ts'
import { recordAudit } from '../../audit/index.ts'
import { recordResults, type DeliveryResult } from './delivery-store.ts'
import type { DispatcherDeps } from './dispatcher-settings.ts'
import { SYSTEM_ACTOR, type Job } from './job.ts'

// A batch is written once this many results wait, or at most this long after the first of them:
// one transaction per tenant records many attempts, and none waits long for it.
const RESULT_FLUSH_SIZE = 200
const RESULT_FLUSH_DELAY_MS = 5

type RecorderDeps = Pick<DispatcherDeps, 'db' | 'logger' | 'settings' | 'onDelivered'>

export class ResultRecorder {
  private readonly pending = new Map<string, DeliveryResult[]>() // tenant id → results
  private pendingCount = 0
  private flushTimer: NodeJS.Timeout | undefined
  private flushing: Promise<void> = Promise.resolve()

  private readonly deps: RecorderDeps
  private readonly freeSlots: (count: number) => void

  /** `freeSlots` hands the slots of recorded (or unrecordable) results back to the dispatcher. */
  constructor(
    deps: RecorderDeps,
    freeSlots: (count: number) => void,
  ) {
    this.deps = deps
    this.freeSlots = freeSlots
  }

  buffer(job: Job, result: DeliveryResult): void {
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
}
