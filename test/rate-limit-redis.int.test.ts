// Rate limits shared through Redis, and what happens when Redis goes away mid-run: this test
// starts its own redis-server on a free port of 127.0.0.1, uses it from two app instances (the
// counts are shared), kills it (requests are still answered, limited in process, with a single
// warning), starts it again on the same port (the shared counters are used again).
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { buildApp, type App } from '../src/app.ts'
import { createRedis } from '../src/cache/redis-client.ts'
import { createServices, type Services } from '../src/services.ts'
import { bearer, JWT_SECRET, SUPER_ADMIN_KEY } from './support/api.ts'
import { captureLogs } from './support/log-capture.ts'
import { expectOk } from './support/platform.ts'
import { awaitFreshWindow, eventually, freePort, ownRedis, type OwnRedis } from './support/rate-limits.ts'
import { createTestDatabase, type TestDatabase } from './support/test-database.ts'

const WARNING = 'rate limiter: redis unavailable, limiting in process until it is back'
const RECOVERED = 'rate limiter: redis is back, limits are shared again'

let server: OwnRedis
let testDb: TestDatabase
let redis: Redis
let redis2: Redis
let inspect: Redis
let services: Services
let app: App
let app2: App
const logs = captureLogs()
const operator = { authorization: `Bearer ${SUPER_ADMIN_KEY}` }

beforeAll(async () => {
  server = ownRedis(await freePort())
  await server.start()
  testDb = await createTestDatabase({ SUPER_ADMIN_KEY, JWT_SECRET, SIGNUP_ENABLED: 'true', RATE_LIMIT_MULTIPLIER: '1' })
  const { config, db } = testDb
  redis = createRedis(server.url, logs.logger)
  redis2 = createRedis(server.url, logs.logger)
  inspect = createRedis(server.url, logs.logger)
  await eventually(() => [redis, redis2, inspect].every((client) => client.status === 'ready'), 'redis clients to connect')
  services = createServices({ config, db, redis, logger: logs.logger })
  app = await buildApp({ config, db, redis, services, logger: logs.logger })
  app2 = await buildApp({ config, db, redis: redis2, services: createServices({ config, db, redis: redis2, logger: logs.logger }), logger: logs.logger })
  await app.ready()
  await app2.ready()
})

afterAll(async () => {
  await app?.close()
  await app2?.close()
  for (const client of [redis, redis2, inspect]) client?.disconnect()
  await server?.stop()
  await testDb?.close()
})

const getTenant = (target: App, token: string) => target.inject({ method: 'GET', url: '/api/v1/tenant', headers: bearer(token) })
const counters = async (tenantId: string) => {
  const keys = (await inspect.keys(`tenantry:rl:{${tenantId}}:*`)).sort()
  const values = keys.length === 0 ? [] : await inspect.mget(...keys)
  return Object.fromEntries(keys.map((key, i) => [key.split(':')[3]!, Number(values[i])]))
}
const warnings = (message: string) => logs.lines().filter((line) => line.msg === message)

it('shares the counts between instances, limits in process while Redis is down, and shares them again once it is back', async () => {
  const signUp = expectOk(
    await app.inject({ method: 'POST', url: '/api/v1/auth/register-organization', payload: { organization_name: 'Shared Limits', admin_email: 'shared@limits.test', admin_password: 'Correct horse battery staple 1' } }),
    201,
  )
  const tenantId: string = signUp.tenant.id
  const token: string = signUp.token
  // 20 a minute for the tenant, so 10 per caller; the basic plan's 1000 a day stays.
  expectOk(await app.inject({ method: 'PATCH', url: `/api/v1/tenants/${tenantId}`, headers: operator, payload: { settings: { limits: { rate_limit_per_minute: 20 } } } }))

  // Redis up: every decision goes through the shared counters, from either instance.
  await awaitFreshWindow(60_000, 10_000)
  for (const remaining of [9, 8, 7]) expect((await getTenant(app, token)).headers['ratelimit-remaining']).toBe(String(remaining))
  const fromOther = await getTenant(app2, token)
  expect(fromOther.statusCode).toBe(200)
  expect(fromOther.headers['ratelimit-remaining']).toBe('6')
  // Leases of 1 for limits this small (a twentieth); each instance leased 50 of the day's 1000.
  expect(await counters(tenantId)).toEqual({ d: 100, p: 4, t: 4 })
  expect(services.rateLimits.usingRedis).toBe(true)

  // Redis killed: answered all the same, limited in process (10 per caller again, counted
  // afresh on this instance), and one warning however many requests.
  await server.stop()
  await eventually(() => redis.status !== 'ready', 'the client to notice')
  await awaitFreshWindow(60_000, 10_000)
  const statuses: number[] = []
  for (let i = 0; i < 15; i++) statuses.push((await getTenant(app, token)).statusCode)
  expect(statuses).toEqual([...Array(10).fill(200), ...Array(5).fill(429)])
  expect(services.rateLimits.usingRedis).toBe(false)
  expect(warnings(WARNING)).toHaveLength(1)

  // Redis back on the same port (empty: no persistence): the shared counters are used again.
  await server.start()
  await eventually(() => redis.status === 'ready' && inspect.status === 'ready', 'the clients to reconnect')
  let answered = await getTenant(app, token)
  await eventually(async () => {
    if (Object.keys(await counters(tenantId)).length > 0) return true
    answered = await getTenant(app, token)
    return false
  }, 'a request to use Redis again')
  expect(answered.statusCode).toBe(200)
  expect(services.rateLimits.usingRedis).toBe(true)
  expect(await counters(tenantId)).toMatchObject({ p: 1, t: 1 })
  expect(warnings(RECOVERED)).toHaveLength(1)
  expect(warnings(WARNING)).toHaveLength(1)
})
