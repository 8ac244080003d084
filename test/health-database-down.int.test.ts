// /health must tell the truth when the database is gone: 503 with the database check down,
// readiness failing, liveness still answering (so the orchestrator does not restart-loop).
import { afterEach, expect, it } from 'vitest'
import { buildApp, type App } from '../src/app.ts'
import { loadConfig } from '../src/config/index.ts'
import { openDatabase } from '../src/db/index.ts'
import { createTestDatabase } from './support/test-database.ts'

let app: App | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
})

it('reports the database down after it closed', async () => {
  const testDb = await createTestDatabase()
  app = await buildApp({ config: testDb.config, db: testDb.db })
  expect((await app.inject('/health')).statusCode).toBe(200)
  await testDb.close()

  const health = await app.inject('/health')
  expect(health.statusCode).toBe(503)
  expect(health.json()).toMatchObject({ status: 'down', checks: { database: { status: 'down', error: expect.any(String) } } })
  expect((await app.inject('/health/ready')).statusCode).toBe(503)
  expect((await app.inject('/health/live')).statusCode).toBe(200)
})

it('reports an unreachable PostgreSQL server as down, without crashing the process', async () => {
  // Port 1 on loopback: nothing listens, so the connection is refused at once.
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', LOG_LEVEL: 'silent' })
  const errors: Error[] = []
  const db = await openDatabase(config, { onPoolError: (error) => errors.push(error) })
  app = await buildApp({ config, db })
  const health = await app.inject('/health')
  expect(health.statusCode).toBe(503)
  expect(health.json().checks.database).toMatchObject({ status: 'down', driver: 'postgres' })
  expect(health.body).not.toContain('nobody@')
  await db.close()
})

it.runIf(Boolean(process.env.REDIS_URL))('reports Redis up when REDIS_URL is set, and degraded (not down) when it is unreachable', async () => {
  const { createRedis } = await import('../src/cache/redis-client.ts')
  const { createLogger } = await import('../src/observability/logger.ts')
  const logger = createLogger({ LOG_LEVEL: 'silent', LOG_FORMAT: 'json' })
  const testDb = await createTestDatabase()
  const redis = createRedis(process.env.REDIS_URL!, logger)
  const deadRedis = createRedis('redis://127.0.0.1:1', logger)
  try {
    app = await buildApp({ config: testDb.config, db: testDb.db, redis })
    // The app's start waits for its invalidation channel, so the client may be connected already.
    if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve))
    expect((await app.inject('/health')).json()).toMatchObject({ status: 'ok', checks: { redis: { status: 'up' } } })
    await app.close()
    app = await buildApp({ config: testDb.config, db: testDb.db, redis: deadRedis })
    const degraded = await app.inject('/health')
    expect(degraded.statusCode).toBe(200)
    expect(degraded.json()).toMatchObject({ status: 'degraded', checks: { redis: { status: 'down' } } })
  } finally {
    redis.disconnect()
    deadRedis.disconnect()
    await testDb.close()
  }
})
