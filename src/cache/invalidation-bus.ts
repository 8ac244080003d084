import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { Logger } from '../observability/logger.ts'

/** What changed; caches drop what depends on it. */
export type Invalidation =
  | { kind: 'tenant'; tenantId: string }
  | { kind: 'user'; userId: string }
  | { kind: 'membership'; tenantId: string; userId: string }

type Listener = (event: Invalidation) => void

const CHANNEL = 'tenantry:invalidate'

/**
 * Tells every cache that something changed: at once in this process, and through Redis pub/sub
 * to the other instances when REDIS_URL is set (DESIGN §15: a change takes effect on the next
 * request everywhere). Without Redis there is one instance, so local is everything.
 */
export class InvalidationBus {
  private readonly listeners: Listener[] = []
  private readonly origin = randomUUID()
  private subscriber: Redis | undefined

  private readonly redis?: Redis
  private readonly logger?: Logger

  constructor(
    redis?: Redis,
    logger?: Logger,
  ) {
    this.redis = redis
    this.logger = logger
  }

  /**
   * Subscribes once the subscriber connection is ready, and again on every reconnect. The client
   * has no offline queue (redis-client.ts: commands fail fast while disconnected), so a SUBSCRIBE
   * sent before the connection is up fails and would never be retried: every change made on
   * another instance would then reach this one only when its cache entries expire. Resolves when
   * subscribed, or at once when Redis is down (it subscribes when Redis comes back).
   */
  async start(): Promise<void> {
    if (!this.redis) return
    // A subscribed connection can do nothing else, so it is a duplicate of the main one.
    const subscriber = this.redis.duplicate()
    this.subscriber = subscriber
    subscriber.on('message', (_channel: string, message: string) => {
      try {
        const { origin, event } = JSON.parse(message) as { origin: string; event: Invalidation }
        if (origin !== this.origin) this.deliver(event)
      } catch {
        this.logger?.warn('ignored a malformed invalidation message')
      }
    })
    await new Promise<void>((resolve) => {
      subscriber.on('ready', () => {
        subscriber.subscribe(CHANNEL).then(
          () => resolve(),
          (error: Error) => {
            this.logger?.warn({ err: { message: error.message } }, 'invalidation channel unavailable; caches of other instances expire on their own')
            resolve()
          },
        )
      })
      // The main client already reports outages; a first error means Redis is down: start anyway.
      subscriber.on('error', () => resolve())
    })
  }

  on(listener: Listener): void {
    this.listeners.push(listener)
  }

  publish(event: Invalidation): void {
    this.deliver(event)
    this.redis?.publish(CHANNEL, JSON.stringify({ origin: this.origin, event })).catch(() => {
      // Redis down: other instances fall back to their short cache TTL.
    })
  }

  async stop(): Promise<void> {
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect())
  }

  private deliver(event: Invalidation): void {
    for (const listener of this.listeners) listener(event)
  }
}
