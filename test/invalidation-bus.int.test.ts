// Cache invalidation across instances (src/cache/invalidation-bus.ts, DESIGN §15): a change made
// on one instance reaches the caches of every other through Redis pub/sub, on clients built as
// the server builds them (no offline queue), whether Redis was up when the instances started,
// came up after them, or restarted in between. A redis-server of the test's own, on a free port.
import type { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { InvalidationBus, type Invalidation } from '../src/cache/invalidation-bus.ts'
import { createRedis } from '../src/cache/redis-client.ts'
import { createLogger } from '../src/observability/logger.ts'
import { eventually, freePort, ownRedis, type OwnRedis } from './support/rate-limits.ts'

const logger = createLogger({ LOG_LEVEL: 'silent', LOG_FORMAT: 'json' })
let redisServer: OwnRedis
let running: Array<{ bus: InvalidationBus; redis: Redis }> = []

beforeAll(async () => {
  redisServer = ownRedis(await freePort())
})
afterEach(async () => {
  for (const { bus, redis } of running) {
    await bus.stop()
    redis.disconnect()
  }
  running = []
  await redisServer.stop()
})
afterAll(() => redisServer.stop())

/** An instance's bus on its own client, started; what reaches its caches is recorded. */
async function instance(): Promise<{ bus: InvalidationBus; received: Invalidation[] }> {
  const redis = createRedis(redisServer.url, logger)
  const bus = new InvalidationBus(redis, logger)
  const received: Invalidation[] = []
  bus.on((event) => received.push(event))
  await bus.start()
  running.push({ bus, redis })
  return { bus, received }
}

/** Publishes from `from` until `to` has heard it (a message published while Redis is down is lost: the TTL covers it). */
async function reaches(from: InvalidationBus, to: Invalidation[], tenantId: string): Promise<void> {
  await eventually(() => {
    from.publish({ kind: 'tenant', tenantId })
    return to.some((event) => event.kind === 'tenant' && event.tenantId === tenantId)
  }, `invalidation of ${tenantId} to reach the other instance`, 20_000)
}

it('reaches the other instance, and not back to its own as a second copy', async () => {
  await redisServer.start()
  const one = await instance()
  const two = await instance()
  one.bus.publish({ kind: 'membership', tenantId: 't1', userId: 'u1' })
  await eventually(() => two.received.length === 1, 'the message on instance two')
  expect(two.received).toEqual([{ kind: 'membership', tenantId: 't1', userId: 'u1' }])
  // Delivered in process at once, and its own echo through Redis ignored.
  await new Promise((resolve) => setTimeout(resolve, 200))
  expect(one.received).toEqual([{ kind: 'membership', tenantId: 't1', userId: 'u1' }])
})

it('instances started while Redis was down subscribe when it comes up', async () => {
  const one = await instance()
  const two = await instance()
  await redisServer.start()
  await reaches(one.bus, two.received, 'after-start')
  await reaches(two.bus, one.received, 'and-back')
})

it('subscribes again after Redis restarts', async () => {
  await redisServer.start()
  const one = await instance()
  const two = await instance()
  await reaches(one.bus, two.received, 'before-restart')
  await redisServer.stop()
  await redisServer.start()
  await reaches(one.bus, two.received, 'after-restart')
}, 30_000)
