// One lane per endpoint: at most WEBHOOK_ENDPOINT_CONCURRENCY attempts running, the rest waiting
// their turn behind them, and a backlog bound that sizes itself by how fast the endpoint answers.
import type { ClaimedDelivery } from './delivery-store.ts'
import type { DispatcherSettings } from './dispatcher-settings.ts'
import type { Job } from './job.ts'

// An endpoint this many times its concurrency behind (more when it answers fast, see backlogLimit)
// gets further claims back in the queue, so a slow receiver cannot occupy every slot or outlive
// the leases of what waits for it.
const ENDPOINT_BACKLOG_FACTOR = 2
// Endpoints whose recent latency is remembered; past this the map starts over, so it stays bounded.
const LATENCY_ENTRIES = 10_000

export interface EndpointLane {
  running: number
  waiting: Job[]
}

type LaneSettings = Pick<DispatcherSettings, 'perEndpointConcurrency' | 'concurrency' | 'leaseMs'>

export class EndpointLanes {
  private readonly lanes = new Map<string, EndpointLane>()
  private readonly latency = new Map<string, number>()

  /** `attempt` sends a job on its lane; the dispatcher calls afterAttempt() when it ends. */
  constructor(
    private readonly settings: LaneSettings,
    private readonly attempt: (job: Job, lane: EndpointLane) => void,
  ) {}

  /** Runs the job now or after the endpoint's running ones; false when its backlog is full. */
  enqueue(job: Job): boolean {
    const { perEndpointConcurrency } = this.settings
    const lane = this.lanes.get(job.delivery.endpoint_id) ?? { running: 0, waiting: [] }
    this.lanes.set(job.delivery.endpoint_id, lane)
    if (lane.running < perEndpointConcurrency) {
      lane.running += 1
      this.attempt(job, lane)
      return true
    }
    if (lane.waiting.length >= this.backlogLimit(job.delivery)) return false
    lane.waiting.push(job)
    return true
  }

  /**
   * When an attempt on the lane ends: the waiting job that takes its place (only while `takeMore`),
   * or undefined, and then the lane has one running less and is dropped once idle and empty.
   */
  afterAttempt(job: Job, lane: EndpointLane, takeMore: boolean): Job | undefined {
    const next = takeMore ? lane.waiting.shift() : undefined
    if (!next) {
      lane.running -= 1
      if (lane.running === 0 && lane.waiting.length === 0) this.lanes.delete(job.delivery.endpoint_id)
    }
    return next
  }

  /** Empties the lane's waiting list and returns what was on it. */
  takeWaiting(lane: EndpointLane): Job[] {
    return lane.waiting.splice(0)
  }

  /**
   * How many deliveries may wait for an endpoint's busy connections: as many as it can answer
   * well within their lease at its recent speed (a fast receiver takes a whole batch), at least
   * twice its concurrency (a slow or new one), never more than the dispatcher's concurrency.
   */
  private backlogLimit(delivery: ClaimedDelivery): number {
    const { perEndpointConcurrency, concurrency, leaseMs } = this.settings
    const floor = perEndpointConcurrency * ENDPOINT_BACKLOG_FACTOR
    const recentMs = this.latency.get(delivery.endpoint_id)
    if (recentMs === undefined) return floor
    const waves = Math.floor(leaseMs / 2 / Math.max(recentMs, 1))
    return Math.min(concurrency, Math.max(floor, waves * perEndpointConcurrency))
  }

  /** Exponentially weighted recent attempt duration per endpoint (bounded map). */
  noteLatency(endpointId: string, durationMs: number): void {
    const previous = this.latency.get(endpointId)
    if (previous === undefined && this.latency.size >= LATENCY_ENTRIES) this.latency.clear()
    this.latency.set(endpointId, previous === undefined ? durationMs : previous * 0.8 + durationMs * 0.2)
  }
}
