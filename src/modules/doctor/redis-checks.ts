import { Redis } from 'ioredis'
import { fail, pass, type CheckResult } from './check.ts'

// Long enough for a Redis across a network, short enough that a wrong host does not hang the checklist.
const CONNECT_TIMEOUT_MS = 2000

/**
 * Whether the Redis of REDIS_URL answers a PING. The server starts and serves without it (limits
 * and caches fall back to each instance), which is why an unreachable one is easy to miss: with
 * several instances, limits then count per instance and changes reach the others only when their
 * caches expire. Nothing to check without REDIS_URL (the configuration item says so).
 */
export async function redisChecks(url: string | undefined): Promise<CheckResult[]> {
  if (!url) return []
  const where = hostOf(url)
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null })
  redis.on('error', () => undefined) // reported below, once
  try {
    await redis.connect()
    await redis.ping()
    return [pass('redis-reachable', `Redis at ${where} answers`)]
  } catch (error) {
    return [fail('redis-reachable', `Redis at ${where} does not answer (${(error as Error).message}): check REDIS_URL and that Redis runs and is reachable from here`)]
  } finally {
    redis.disconnect()
  }
}

/** host:port of the URL, never its password. */
function hostOf(url: string): string {
  try {
    const parsed = new URL(url)
    return `${parsed.hostname}:${parsed.port || '6379'}`
  } catch {
    return 'REDIS_URL'
  }
}
