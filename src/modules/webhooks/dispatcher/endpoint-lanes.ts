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
//
// Endpoints on probation (new, or whose last attempt got no prompt answer) also share a bound per
// receiver origin (D72): a tenant with many endpoints on one origin that does not answer holds a
// quarter of the slots at most, however many endpoints it adds there, instead of three each.
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
// Slots that endpoints on probation may hold per origin: twice the connections one origin gets
// (a full pool and as many waiting to follow), but never more than a quarter of the dispatcher, so
// three quarters stay for every other origin whatever one origin's endpoints do.
const PROBATION_SHARE_OF_CONCURRENCY = 4
const PROBATION_POOLS_PER_ORIGIN = 2

export interface EndpointLane {
  running: number
  waiting: Job[]
}

type LaneSettings = Pick<DispatcherSettings, 'perEndpointConcurrency' | 'concurrency' | 'leaseMs'>

export class EndpointLanes {
  private readonly lanes = new Map<string, EndpointLane>()
  private readonly recent = new Map<string, { latencyMs: number; window: number; prompt: boolean }>()
  /** Origin → slots held by jobs that were enqueued while their endpoint was on probation. */
  private readonly probationHeld = new Map<string, number>()
  private readonly onProbation = new WeakMap<Job, string>() // job → its origin
  private readonly probationSlotsPerOrigin: number

  private readonly settings: LaneSettings
  private readonly attempt: (job: Job, lane: EndpointLane) => void

  /** `attempt` sends a job on its lane; the dispatcher calls afterAttempt() when it ends. */
  constructor(
    settings: LaneSettings,
    attempt: (job: Job, lane: EndpointLane) => void,
  ) {
    this.settings = settings
    this.attempt = attempt
    const { perEndpointConcurrency, concurrency } = settings
    this.probationSlotsPerOrigin = Math.max(1, Math.min(PROBATION_POOLS_PER_ORIGIN * perEndpointConcurrency, Math.floor(concurrency / PROBATION_SHARE_OF_CONCURRENCY)))
  }

  /** Runs the job now or after the endpoint's running ones; false when its backlog is full. */
  enqueue(job: Job): boolean {
    const window = this.windowOf(job.delivery.endpoint_id)
    const origin = this.recent.get(job.delivery.endpoint_id)?.prompt ? undefined : originOf(job.delivery.url)
    if (origin !== undefined && (this.probationHeld.get(origin) ?? 0) >= this.probationSlotsPerOrigin) return false
    const lane = this.lanes.get(job.delivery.endpoint_id) ?? { running: 0, waiting: [] }
    if (lane.running >= window && lane.waiting.length >= this.backlogLimit(job.delivery)) return false
    this.lanes.set(job.delivery.endpoint_id, lane)
    if (origin !== undefined) {
      this.onProbation.set(job, origin)
      this.probationHeld.set(origin, (this.probationHeld.get(origin) ?? 0) + 1)
    }
    if (lane.running < window) {
      lane.running += 1
      this.attempt(job, lane)
      return true
    }
    lane.waiting.push(job)
    return true
  }

  /**
   * When an attempt on the lane ends: the waiting jobs that start now (none unless `takeMore`), as
   * many as the endpoint's window has room for; the lane is dropped once idle and empty.
   */
  afterAttempt(job: Job, lane: EndpointLane, takeMore: boolean): Job[] {
    lane.running -= 1
    this.leaveProbation(job)
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
    const taken = lane.waiting.splice(0)
    for (const job of taken) this.leaveProbation(job)
    return taken
  }

  /** The job no longer holds a slot of its origin's probation share. */
  private leaveProbation(job: Job): void {
    const origin = this.onProbation.get(job)
    if (origin === undefined) return
    this.onProbation.delete(job)
    const held = (this.probationHeld.get(origin) ?? 1) - 1
    if (held > 0) this.probationHeld.set(origin, held)
    else this.probationHeld.delete(origin)
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
      prompt,
    })
  }
}

function originOf(url: string): string {
  try {
    return new URL(url).origin
  } catch {
    return url
  }
}
