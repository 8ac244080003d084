// DESIGN §11: a change of plan or override takes effect on the next request on every instance.
// The daily quota is the sharp case: requests are decided from tokens each instance leases from
// the shared counter in Redis (D35), so an instance holding tokens leased under the old quota
// must not spend them once the quota is lowered. On PostgreSQL + Redis with two app instances;
// the single-instance case runs on every backend (on Redis when REDIS_URL is set).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { App } from '../src/app.ts'
import { bearer, createTestApiOnRedis, secondInstance, type SecondInstance, type TestApiOnRedis } from './support/api.ts'
import { expectOk, expectProblem } from './support/platform.ts'
import { eventually } from './support/rate-limits.ts'
import { redisUrl, serverUrl } from './support/test-env.ts'

let api: TestApiOnRedis
beforeAll(async () => {
  api = await createTestApiOnRedis({ RATE_LIMIT_MULTIPLIER: '1' })
})
afterAll(async () => {
  await api?.close()
})

const getTenant = (app: App, token: string) => app.inject({ method: 'GET', url: '/api/v1/tenant', headers: bearer(token) })
const setLimits = async (tenantId: string, limits: Record<string, unknown>) =>
  expectOk(await api.app.inject({ method: 'PATCH', url: `/api/v1/tenants/${tenantId}`, headers: api.operator, payload: { settings: { limits } } }))

it('lowering the daily quota refuses the next request of the instance that changed it', async () => {
  const org = await api.signUp()
  // Only the daily quota counts: no per-minute rate in the way.
  await setLimits(org.tenantId, { api_requests_per_day: 1000, rate_limit_per_minute: null })
  for (let i = 0; i < 5; i++) expectOk(await getTenant(api.app, org.token))
  await setLimits(org.tenantId, { api_requests_per_day: 5, rate_limit_per_minute: null })
  expect(expectProblem(await getTenant(api.app, org.token), 429, 'quota_exceeded').limit).toBe('api_requests_per_day')
  // Raised again, the next request is admitted (nothing remembered the lower quota).
  await setLimits(org.tenantId, { api_requests_per_day: 1000, rate_limit_per_minute: null })
  expectOk(await getTenant(api.app, org.token))
})

describe.runIf(Boolean(redisUrl() && serverUrl()))('across instances (PostgreSQL + Redis)', () => {
  let second: SecondInstance

  beforeAll(async () => {
    second = await secondInstance(api)
  })
  afterAll(async () => {
    await second?.close()
  })

  it('lowering the daily quota on instance A refuses the next request on instance B', async () => {
    const org = await api.signUp()
    await setLimits(org.tenantId, { api_requests_per_day: 1000, rate_limit_per_minute: null })
    // B admits a few requests from one lease of the shared counter (50 of the day's 1000).
    for (let i = 0; i < 5; i++) expectOk(await getTenant(second.app, org.token))
    expect(second.services.rateLimits.usingRedis).toBe(true)
    expect(second.services.directory.peekTenant(org.tenantId)).toBeDefined()

    await setLimits(org.tenantId, { api_requests_per_day: 5, rate_limit_per_minute: null })
    // Pub/sub is asynchronous: wait, without sending B a request, until the change has reached it.
    await eventually(() => second.services.directory.peekTenant(org.tenantId) === undefined, "instance B's invalidation", 5_000)
    expect(expectProblem(await getTenant(second.app, org.token), 429, 'quota_exceeded').limit).toBe('api_requests_per_day')

    // A plan migration reaches B the same way: custom has no daily quota.
    expectOk(await api.app.inject({ method: 'PATCH', url: `/api/v1/tenants/${org.tenantId}`, headers: api.operator, payload: { settings: { limits: null } } }))
    expectOk(await api.app.inject({ method: 'POST', url: `/api/v1/tenants/${org.tenantId}/migrate`, headers: api.operator, payload: { targetPlan: 'custom' } }))
    await eventually(async () => (await getTenant(second.app, org.token)).statusCode === 200, 'instance B to admit on the custom plan', 5_000)
  })
})
