// One undici Pool per receiver origin (docs/decisions.md D72), instead of one Agent for all: an
// origin whose pool misbehaves (requests that never settle, whatever their abort signal says) is
// destroyed and replaced on its own, and its trouble cannot reach another origin's connections.
// The map is bounded and forgets idle origins, so a dispatcher that meets many receivers keeps
// only the pools it uses.
import { Pool, type Dispatcher } from 'undici'
import { withTimeout } from '../../../lib/with-timeout.ts'
import { createGuardedLookup, type Resolver } from '../ssrf/index.ts'

export interface OriginPoolsOptions {
  allowPrivate: boolean
  /** Connections kept per receiver origin. */
  connectionsPerOrigin: number
  /** Injected in tests (DNS rebinding); the system resolver otherwise. */
  resolve?: Resolver
  /** Injected in tests (a dispatcher that ignores abort signals); a guarded Pool otherwise. */
  createPool?: (origin: string) => Dispatcher
}

const KEEP_ALIVE_MS = 30_000
// Pools kept beyond this many are closed when idle, oldest use first. Origins with an attempt in
// flight are never closed here, and there are at most WEBHOOK_CONCURRENCY of them.
const MAX_IDLE_ORIGINS = 256
// A pool unused this long is closed (its connections are gone by then anyway, see KEEP_ALIVE_MS).
const IDLE_CLOSE_MS = 2 * KEEP_ALIVE_MS
// How long close() waits for a pool's requests before destroying it (they have had their grace).
const CLOSE_WAIT_MS = 1000

interface OriginEntry {
  pool: Dispatcher
  inFlight: number
  lastUsed: number
}

export class OriginPools {
  private readonly entries = new Map<string, OriginEntry>() // in order of last use
  private readonly create: (origin: string) => Dispatcher
  private readonly sweeper: NodeJS.Timeout

  constructor(options: OriginPoolsOptions) {
    // Every new connection resolves through the guard and connects to the address it checked.
    const lookup = createGuardedLookup({ allowPrivate: options.allowPrivate, ...(options.resolve ? { resolve: options.resolve } : {}) })
    this.create = options.createPool ?? ((origin) => new Pool(origin, { connect: { lookup }, connections: options.connectionsPerOrigin, keepAliveTimeout: KEEP_ALIVE_MS, pipelining: 1 }))
    this.sweeper = setInterval(() => this.closeIdle(IDLE_CLOSE_MS), IDLE_CLOSE_MS)
    this.sweeper.unref()
  }

  /** The origin's pool for one attempt; release() it when the attempt ends. */
  acquire(origin: string): Dispatcher {
    const entry = this.entries.get(origin) ?? { pool: this.create(origin), inFlight: 0, lastUsed: 0 }
    this.entries.delete(origin)
    this.entries.set(origin, entry)
    entry.inFlight += 1
    entry.lastUsed = Date.now()
    if (this.entries.size > MAX_IDLE_ORIGINS) this.closeIdle(0)
    return entry.pool
  }

  release(origin: string, pool: Dispatcher): void {
    const entry = this.entries.get(origin)
    if (entry?.pool === pool) entry.inFlight -= 1
  }

  /**
   * Forgets the origin's pool, so the next attempt gets a new one, and retires it once `settled`
   * says whether the request that made us give up on it let go: closed gracefully (what still
   * runs on it finishes) if it did, destroyed (its requests fail at once) if it did not.
   */
  retire(origin: string, pool: Dispatcher, settled: Promise<boolean>): void {
    if (this.entries.get(origin)?.pool === pool) this.entries.delete(origin)
    void settled.then((letGo) => (letGo ? pool.close() : pool.destroy(new Error('a webhook attempt outlived its deadline: connections to this origin reset')))).catch(() => undefined)
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper)
    const pools = [...this.entries.values()].map((entry) => entry.pool)
    this.entries.clear()
    // A pool whose requests never settle never closes either: destroyed after a moment.
    await Promise.all(pools.map((pool) => withTimeout(pool.close(), CLOSE_WAIT_MS).catch(() => pool.destroy()).catch(() => undefined)))
  }

  /** Closes pools with nothing in flight, unused for idleMs, oldest first, down to the bound when idleMs is 0. */
  private closeIdle(idleMs: number): void {
    const now = Date.now()
    for (const [origin, entry] of this.entries) {
      if (idleMs === 0 && this.entries.size <= MAX_IDLE_ORIGINS) return
      if (entry.inFlight > 0 || now - entry.lastUsed < idleMs) continue
      this.entries.delete(origin)
      void entry.pool.close().catch(() => undefined)
    }
  }
}
