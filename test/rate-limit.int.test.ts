// Per-tenant rate limits, in process (no Redis): the tenant's per-minute rate from its plan and
// settings, half of it per caller so one noisy caller cannot starve the others, the RateLimit
// headers, 429 rate_limited with Retry-After, rate_limited_total; operators and callers without a
// tenant count against the fallback limit instead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renderMetrics, sampleValue } from '../src/observability/metrics.ts'
import { bearer, createTestApi, PASSWORD, type TestApi } from './support/api.ts'
import { expectOk, expectProblem } from './support/platform.ts'
import { awaitFreshWindow } from './support/rate-limits.ts'

let api: TestApi

beforeAll(async () => {
  api = await createTestApi({ RATE_LIMIT_MULTIPLIER: '1' })
})
afterAll(() => api?.close())

const getTenant = (headers: Record<string, string>) => api.app.inject({ method: 'GET', url: '/api/v1/tenant', headers })
const setLimits = async (tenantId: string, limits: Record<string, number | null>) =>
  expectOk(await api.app.inject({ method: 'PATCH', url: `/api/v1/tenants/${tenantId}`, headers: api.operator, payload: { settings: { limits } } }))
const rateLimited = async (plan: string) => sampleValue(await renderMetrics(), 'rate_limited_total', { plan })

describe('per-tenant rate limit', () => {
  let org: Awaited<ReturnType<TestApi['signUp']>>
  let member: { token: string }
  let key: string

  beforeAll(async () => {
    org = await api.signUp()
    // The operator sets up the other callers (operators count against the fallback limit, so
    // the tenant's callers start at zero), then cuts the tenant to 6 requests a minute.
    const asOperator = { ...api.operator, 'x-tenant-id': org.tenantId }
    const email = `auditor-${org.tenantId}@example.test`
    expectOk(await api.app.inject({ method: 'POST', url: '/api/v1/members', headers: asOperator, payload: { email, password: PASSWORD, role: 'Auditor' } }), 201)
    member = { token: await api.login(email, PASSWORD, org.tenantId) }
    key = expectOk(await api.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: asOperator, payload: { name: 'sync', permissions: ['settings:read'] } }), 201).key
    await setLimits(org.tenantId, { rate_limit_per_minute: 6, api_requests_per_day: null })
    await awaitFreshWindow(60_000, 15_000)
  })

  it('gives one caller half of the tenant rate, with RateLimit headers, then 429 rate_limited with Retry-After', async () => {
    const before = await rateLimited('basic')
    for (const remaining of [2, 1, 0]) {
      const response = await getTenant(bearer(org.token))
      expect(response.statusCode).toBe(200)
      expect(response.headers).toMatchObject({ 'ratelimit-limit': '3', 'ratelimit-remaining': String(remaining), 'ratelimit-policy': '3;w=60, 6;w=60' })
      const reset = Number(response.headers['ratelimit-reset'])
      expect(reset).toBeGreaterThanOrEqual(1)
      expect(reset).toBeLessThanOrEqual(60)
    }
    const refused = await getTenant(bearer(org.token))
    const body = expectProblem(refused, 429, 'rate_limited')
    expect(body).toMatchObject({ status: 429, retry_after: Number(refused.headers['retry-after']) })
    expect(refused.headers['retry-after']).toBe(refused.headers['ratelimit-reset'])
    expect(refused.headers['ratelimit-remaining']).toBe('0')
    expect(await rateLimited('basic')).toBe(before + 1)
  })

  it('leaves the rest to the other callers however much the first one keeps trying', async () => {
    for (let i = 0; i < 10; i++) expect((await getTenant(bearer(org.token))).statusCode).toBe(429)
    // The member gets its own half: refused attempts of the admin used none of it.
    for (let i = 0; i < 3; i++) expect((await getTenant(bearer(member.token))).statusCode).toBe(200)
    expectProblem(await getTenant(bearer(member.token)), 429, 'rate_limited')
    // The tenant's 6 are now used: the API key is refused on the tenant's limit, not its own.
    const refused = await getTenant(bearer(key))
    expectProblem(refused, 429, 'rate_limited')
    expect(refused.headers).toMatchObject({ 'ratelimit-limit': '6', 'ratelimit-remaining': '0' })
  })

  it('does not touch other tenants, and counts operators against the fallback limit', async () => {
    const other = await api.signUp()
    const response = await getTenant(bearer(other.token))
    expect(response.statusCode).toBe(200)
    // basic: 120 per minute for the tenant, 60 per caller, 1000 requests a day.
    expect(response.headers).toMatchObject({ 'ratelimit-limit': '60', 'ratelimit-remaining': '59', 'ratelimit-policy': '1000;w=86400, 60;w=60, 120;w=60' })

    const operator = await getTenant({ ...api.operator, 'x-tenant-id': org.tenantId })
    expect(operator.statusCode).toBe(200)
    expect(operator.headers).toMatchObject({ 'ratelimit-limit': '1000', 'ratelimit-policy': '1000;w=60' })
  })

  it('applies a changed setting on the next request', async () => {
    await setLimits(org.tenantId, { rate_limit_per_minute: 40, api_requests_per_day: null })
    const response = await getTenant(bearer(org.token))
    expect(response.statusCode).toBe(200)
    expect(response.headers).toMatchObject({ 'ratelimit-limit': '20', 'ratelimit-remaining': '16', 'ratelimit-policy': '20;w=60, 40;w=60' })
  })

  it('sends no RateLimit headers when nothing limits the tenant, nor outside /api', async () => {
    const unlimited = await api.signUp()
    await setLimits(unlimited.tenantId, { rate_limit_per_minute: null, api_requests_per_day: null })
    const response = await getTenant(bearer(unlimited.token))
    expect(response.statusCode).toBe(200)
    expect(response.headers['ratelimit-limit']).toBeUndefined()
    const health = await api.app.inject({ method: 'GET', url: '/health/live' })
    expect(health.headers['ratelimit-limit']).toBeUndefined()
  })
})

describe('fallback limit (RATE_LIMIT_MAX_REQUESTS per RATE_LIMIT_WINDOW_MS)', () => {
  let small: TestApi

  beforeAll(async () => {
    small = await createTestApi({ RATE_LIMIT_MULTIPLIER: '1', RATE_LIMIT_MAX_REQUESTS: '3', RATE_LIMIT_WINDOW_MS: '3600000' })
  })
  afterAll(() => small?.close())

  const login = (remoteAddress: string) =>
    small.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress, payload: { email: 'nobody@example.test', password: 'not the password at all' } })

  it('limits anonymous callers by address and operators by key', async () => {
    await awaitFreshWindow(3_600_000, 10_000)
    const before = await sampleValue(await renderMetrics(), 'rate_limited_total', { plan: 'none' })
    for (const remaining of [2, 1, 0]) {
      const response = await login('192.0.2.10')
      expect(response.statusCode).toBe(401)
      expect(response.headers).toMatchObject({ 'ratelimit-limit': '3', 'ratelimit-remaining': String(remaining), 'ratelimit-policy': '3;w=3600' })
    }
    const refused = expectProblem(await login('192.0.2.10'), 429, 'rate_limited')
    expect(Number(refused.retry_after)).toBeGreaterThan(0)
    expect((await login('192.0.2.11')).statusCode).toBe(401)
    expect(sampleValue(await renderMetrics(), 'rate_limited_total', { plan: 'none' })).toBe(before + 1)

    for (let i = 0; i < 3; i++) expect((await small.app.inject({ method: 'GET', url: '/api/v1/tenants', headers: small.operator })).statusCode).toBe(200)
    expectProblem(await small.app.inject({ method: 'GET', url: '/api/v1/tenants', headers: small.operator }), 429, 'rate_limited')
  })
})
