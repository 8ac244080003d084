// Where tests find their databases. DATABASE_URL / REDIS_URL in the environment switch the
// suite from embedded PGlite to a real PostgreSQL server (and Redis).
import type { Redis } from 'ioredis'
import { createRedis } from '../../src/cache/redis-client.ts'
import { createLogger } from '../../src/observability/logger.ts'

/** The server the run uses, or undefined for PGlite. Tests never write into this database itself. */
export function serverUrl(): string | undefined {
  const url = process.env.DATABASE_URL
  return url && url !== 'memory://' ? url : undefined
}

export function redisUrl(): string | undefined {
  return process.env.REDIS_URL || undefined
}

/** The same server URL pointing at another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

export const APP_ROLE = 'tenantry_app'

/**
 * A client for the suite's Redis built as the server builds its own (src/cache/redis-client.ts:
 * no offline queue, fail fast), so tests meet what production meets; undefined without REDIS_URL.
 */
export function testRedis(): Redis | undefined {
  const url = redisUrl()
  return url ? createRedis(url, createLogger({ LOG_LEVEL: 'silent', LOG_FORMAT: 'json' })) : undefined
}
