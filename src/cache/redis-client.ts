import { Redis } from 'ioredis'
import type { Logger } from '../observability/logger.ts'

/**
 * Redis is optional (DESIGN §1): without REDIS_URL everything runs in-process. With it, an
 * outage must degrade, never fail, requests: commands fail fast instead of queueing while
 * disconnected, and the client reconnects on its own.
 */
export function createRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5000),
  })
  let lastWarning = 0
  redis.on('error', (error: Error) => {
    // One line per 30 s at most: a down Redis would otherwise flood the log.
    if (Date.now() - lastWarning < 30_000) return
    lastWarning = Date.now()
    logger.warn({ err: { message: error.message } }, 'redis unavailable; continuing with in-process fallbacks')
  })
  return redis
}
