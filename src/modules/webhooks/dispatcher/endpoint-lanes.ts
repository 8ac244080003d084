// One lane per endpoint: at most WEBHOOK_ENDPOINT_CONCURRENCY attempts running, the rest waiting
// their turn behind them, and a backlog bound that sizes itself by how fast the endpoint answers.
//
// An endpoint earns its concurrency (D68): a new one, or one whose last attempt got no answer or
// a slow one, has one attempt at a time (and a backlog to match); each prompt answer allows one
// more, up to WEBHOOK_ENDPOINT_CONCURRENCY. Claimed deliveries hold the dispatcher's slots while
// they run or wait, so without this a tenant's silent receivers (each holding its full
// concurrency and backlog until the timeout) could take every slot and stall every tenant's
// webhooks; with it each silent endpoint holds three. A healthy endpoint is at full concurrency
// after a handful of answers.
import type { ClaimedDelivery } from './delivery-store.ts'
import type { DispatcherSettings } from './dispatcher-settings.ts'
import type { Job } from './job.ts'

// An endpoint this many times its concurrency behind (more when it answers fast, see backlogLimit)
// gets further claims back in the queue, so a slow receiver cannot occupy every slot or outlive
// the leases of what waits for it.
const ENDPOINT_BACKLOG_FACTOR = 2
// Endpoints whose recent latency and window are remembered; past this the map starts over, so it
// stays bounded (forgotten endpoints start again at one attempt at a time).
const ENDPOINT_ENTRIES = 10_000
// An answer slower than this counts as no answer for the window: receivers are expected to answer
// at once and work afterwards (GitHub waits 10 s in all).
const SLOW_ANSWER_MS = 10_000

export interface EndpointLane {
  running: number
  waiting: Job[]
}

type LaneSettings = Pick<DispatcherSettings, 'perEndpointConcurrency' | 'concurrency' | 'leaseMs'>

export class EndpointLanes {
  private readonly lanes = new Map<string, EndpointLane>()
  private readonly recent = new Map<string, { latencyMs: number; window: number }>()

  /** `attempt` sends a job on its lane; the dispatcher calls afterAttempt() when it ends. */
  constructor(
    private readonly settings: LaneSettings,
    private readonly attempt: (job: Job, lane: EndpointLane) => void,
  ) {}

  /** Runs the job now or after the endpoint's running ones; false when its backlog is full. */
  enqueue(job: Job): boolean {
    const lane = this.lanes.get(job.delivery.endpoint_id) ?? { running: 0, waiting: [] }
    this.lanes.set(job.delivery.endpoint_id, lane)
    if (lane.running < this.windowOf(job.delivery.endpoint_id)) {
      lane.running += 1
      this.attempt(job, lane)
      return true
    }
    if (lane.waiting.length >= this.backlogLimit(job.delivery)) return false
    lane.waiting.push(job)
    return true
  }

  /**
   * When an attempt on the lane ends: the waiting jobs that start now (none unless `takeMore`), as
   * many as the endpoint's window has room for; the lane is dropped once idle and empty.
   */
  afterAttempt(job: Job, lane: EndpointLane, takeMore: boolean): Job[] {
    lane.running -= 1
    const started: Job[] = []
    const window = this.windowOf(job.delivery.endpoint_id)
    while (takeMore && lane.running < window && lane.waiting.length > 0) {
      lane.running += 1
      started.push(lane.waiting.shift()!)
    }
    if (lane.running === 0 && lane.waiting.length === 0) this.lanes.delete(job.delivery.endpoint_id)
    return started
  }

  /** Empties the lane's waiting list and returns what was on it. */
  takeWaiting(lane: EndpointLane): Job[] {
    return lane.waiting.splice(0)
  }

  /**
   * How many deliveries may wait for an endpoint's busy connections: as many as it can answer
   * well within their lease at its recent speed (a fast receiver takes a whole batch), at least
   * twice its window (a slow or new one), never more than the dispatcher's concurrency.
   */
  private backlogLimit(delivery: ClaimedDelivery): number {
    const { concurrency, leaseMs } = this.settings
    const known = this.recent.get(delivery.endpoint_id)
    const floor = (known?.window ?? 1) * ENDPOINT_BACKLOG_FACTOR
    if (known === undefined || known.window < this.settings.perEndpointConcurrency) return floor
    const waves = Math.floor(leaseMs / 2 / Math.max(known.latencyMs, 1))
    return Math.min(concurrency, Math.max(floor, waves * known.window))
  }

  /** Attempts the endpoint may have running: one until it has answered promptly, then one more per prompt answer. */
  private windowOf(endpointId: string): number {
    return this.recent.get(endpointId)?.window ?? 1
  }

  /**
   * After an attempt: the endpoint's recent latency (exponentially weighted) and its window. An
   * attempt that got no answer (timeout, refused, reset) or a slow one sends it back to one
   * attempt at a time; any prompt answer, whatever its status, widens it by one.
   */
  noteAttempt(endpointId: string, durationMs: number, answered: boolean): void {
    const previous = this.recent.get(endpointId)
    if (previous === undefined && this.recent.size >= ENDPOINT_ENTRIES) this.recent.clear()
    const prompt = answered && durationMs < SLOW_ANSWER_MS
    this.recent.set(endpointId, {
      latencyMs: previous === undefined ? durationMs : previous.latencyMs * 0.8 + durationMs * 0.2,
      window: prompt ? Math.min(this.settings.perEndpointConcurrency, (previous?.window ?? 1) + 1) : 1,
    })
  }
}
