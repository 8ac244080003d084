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

  constructor(
    private readonly redis?: Redis,
    private readonly logger?: Logger,
  ) {}

  async start(): Promise<void> {
    if (!this.redis) return
    // A subscribed connection can do nothing else, so it is a duplicate of the main one.
    this.subscriber = this.redis.duplicate()
    this.subscriber.on('error', () => undefined) // the main client already reports outages
    this.subscriber.on('message', (_channel: string, message: string) => {
      try {
        const { origin, event } = JSON.parse(message) as { origin: string; event: Invalidation }
        if (origin !== this.origin) this.deliver(event)
      } catch {
        this.logger?.warn('ignored a malformed invalidation message')
      }
    })
    await this.subscriber.subscribe(CHANNEL).catch((error: Error) => this.logger?.warn({ err: { message: error.message } }, 'invalidation channel unavailable'))
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
