// /health must tell the truth when the database is gone: 503 with the database check down,
// readiness failing, liveness still answering (so the orchestrator does not restart-loop). And
// every other route answers the same way while it is gone: 503 service_unavailable with
// Retry-After, never 500 internal_error (issue 18 item 6).
import pg from 'pg'
import { afterEach, expect, it } from 'vitest'
import { buildApp, type App } from '../src/app.ts'
import { loadConfig } from '../src/config/index.ts'
import { openDatabase } from '../src/db/index.ts'
import type { LightMyRequestResponse } from 'fastify'
import { SUPER_ADMIN_KEY } from './support/api.ts'
import { createTestDatabase } from './support/test-database.ts'
import { serverUrl } from './support/test-env.ts'
import { until } from './support/until.ts'

const operator = { authorization: `Bearer ${SUPER_ADMIN_KEY}` }
const DEFAULT_TENANT = '00000000-0000-4000-8000-000000000001'

function expectUnavailable(response: LightMyRequestResponse): void {
  expect(response.statusCode, response.body).toBe(503)
  expect(response.headers['retry-after']).toBe('5')
  expect(response.json()).toMatchObject({ code: 'service_unavailable', retry_after: 5 })
}

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

it('answers API routes 503 service_unavailable with Retry-After once the database has closed', async () => {
  const testDb = await createTestDatabase({ SUPER_ADMIN_KEY })
  app = await buildApp({ config: testDb.config, db: testDb.db })
  expect((await app.inject({ url: '/api/v1/tenants', headers: operator })).statusCode).toBe(200)
  await testDb.close()
  expectUnavailable(await app.inject({ url: '/api/v1/tenants', headers: operator }))
  // Through tenant resolution (the access plugin reads the tenant) as well as in a route.
  expectUnavailable(await app.inject({ url: '/api/v1/inventory', headers: { ...operator, 'x-tenant-id': DEFAULT_TENANT } }))
})

it('answers API routes 503 with Retry-After when PostgreSQL refuses connections', async () => {
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', LOG_LEVEL: 'silent', SUPER_ADMIN_KEY })
  const db = await openDatabase(config, { onPoolError: () => undefined })
  try {
    app = await buildApp({ config, db })
    expectUnavailable(await app.inject({ url: '/api/v1/tenants', headers: operator }))
    expectUnavailable(await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'jo@example.test', password: 'correct horse battery staple' } }))
  } finally {
    await app?.close()
    app = undefined
    await db.close()
  }
})

it.runIf(Boolean(serverUrl()))('answers 503 with Retry-After when the backend serving a request is terminated (57P01)', async () => {
  const testDb = await createTestDatabase({ SUPER_ADMIN_KEY })
  app = await buildApp({ config: testDb.config, db: testDb.db })
  // A second session holds a lock the request will wait on, so the request's backend can be
  // terminated while it works, as an administrator's shutdown or a failover does.
  const holder = new pg.Client({ connectionString: testDb.config.DATABASE_URL })
  await holder.connect()
  try {
    await holder.query('begin')
    await holder.query('lock table tenants in access exclusive mode')
    // inject() starts on then(): Promise.resolve sends the request now.
    const pending = Promise.resolve(app.inject({ url: '/api/v1/tenants', headers: operator }))
    const waiting = await until(
      // Inside a transaction pg_stat_activity is a snapshot: clear it before every look.
      async () => (await holder.query('select pg_stat_clear_snapshot()'), await holder.query<{ pid: number }>("select pid from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()")).rows,
      (rows) => rows.length > 0,
    )
    for (const { pid } of waiting) await holder.query('select pg_terminate_backend($1)', [pid])
    expectUnavailable(await pending)
    await holder.query('rollback')
    // The pool replaces the connection it lost: the next request is served.
    expect((await app.inject({ url: '/api/v1/tenants', headers: operator })).statusCode).toBe(200)
  } finally {
    await holder.end()
    await app.close()
    app = undefined
    await testDb.close()
  }
})
