// Plan quotas: the daily API request quota (429 quota_exceeded with Retry-After to the next UTC
// midnight, tenant-wide, settings override it), max_users / max_items counted in
// quota_exceeded_total, and the plan feature gates (403 feature_not_enabled).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renderMetrics, sampleValue } from '../src/observability/metrics.ts'
import { bearer, createTestApi, PASSWORD, type TestApi } from './support/api.ts'
import { expectOk, expectProblem } from './support/platform.ts'
import { awaitFreshWindow } from './support/rate-limits.ts'

const DAY_MS = 86_400_000
let api: TestApi

beforeAll(async () => {
  api = await createTestApi({ RATE_LIMIT_MULTIPLIER: '1' })
})
afterAll(() => api?.close())

const getTenant = (headers: Record<string, string>) => api.app.inject({ method: 'GET', url: '/api/v1/tenant', headers })
const patchSettings = async (tenantId: string, settings: Record<string, unknown>) =>
  expectOk(await api.app.inject({ method: 'PATCH', url: `/api/v1/tenants/${tenantId}`, headers: api.operator, payload: { settings } }))
const quotaExceeded = async (limit: string) => sampleValue(await renderMetrics(), 'quota_exceeded_total', { limit })
const asOperator = (tenantId: string) => ({ ...api.operator, 'x-tenant-id': tenantId })

/** A tenant (through sign-up) with a second caller, an Auditor, added by the operator. */
async function orgWithAuditor() {
  const org = await api.signUp()
  const email = `auditor-${org.tenantId}@example.test`
  expectOk(await api.app.inject({ method: 'POST', url: '/api/v1/members', headers: asOperator(org.tenantId), payload: { email, password: PASSWORD, role: 'Auditor' } }), 201)
  return { ...org, auditor: await api.login(email, PASSWORD, org.tenantId) }
}

describe('daily API request quota', () => {
  it('refuses the tenant past its quota with 429 quota_exceeded and Retry-After to the next UTC midnight', async () => {
    await awaitFreshWindow(DAY_MS, 30_000)
    const org = await orgWithAuditor()
    await patchSettings(org.tenantId, { limits: { api_requests_per_day: 3 } })
    const before = await quotaExceeded('api_requests_per_day')

    for (const remaining of [2, 1]) {
      const response = await getTenant(bearer(org.token))
      expect(response.statusCode).toBe(200)
      expect(response.headers).toMatchObject({ 'ratelimit-limit': '3', 'ratelimit-remaining': String(remaining), 'ratelimit-policy': '3;w=86400, 60;w=60, 120;w=60' })
    }
    expect((await getTenant(bearer(org.auditor))).statusCode).toBe(200)

    // The quota is the tenant's: both callers are refused now.
    for (const token of [org.token, org.auditor]) {
      const refused = await getTenant(bearer(token))
      const body = expectProblem(refused, 429, 'quota_exceeded')
      expect(body).toMatchObject({ status: 429, limit: 'api_requests_per_day', allowed: 3 })
      const toMidnight = Math.ceil((DAY_MS - (Date.now() % DAY_MS)) / 1000)
      expect(Math.abs(Number(refused.headers['retry-after']) - toMidnight)).toBeLessThanOrEqual(2)
      expect(refused.headers['ratelimit-reset']).toBe(refused.headers['retry-after'])
    }
    expect(await quotaExceeded('api_requests_per_day')).toBe(before + 2)

    // Operators are not the tenant's traffic; another tenant has its own quota.
    expect((await getTenant(asOperator(org.tenantId))).statusCode).toBe(200)
    const other = await api.signUp()
    expect((await getTenant(bearer(other.token))).statusCode).toBe(200)
  })

  it('follows the settings override at once: raised, then unlimited', async () => {
    await awaitFreshWindow(DAY_MS, 30_000)
    const org = await api.signUp()
    await patchSettings(org.tenantId, { limits: { api_requests_per_day: 1 } })
    expect((await getTenant(bearer(org.token))).statusCode).toBe(200)
    expectProblem(await getTenant(bearer(org.token)), 429, 'quota_exceeded')

    await patchSettings(org.tenantId, { limits: { api_requests_per_day: 2 } })
    expect((await getTenant(bearer(org.token))).statusCode).toBe(200)
    expectProblem(await getTenant(bearer(org.token)), 429, 'quota_exceeded')

    const unlimited = await patchSettings(org.tenantId, { limits: { api_requests_per_day: null } })
    expect(unlimited.configuration.limits.api_requests_per_day).toBeNull()
    const response = await getTenant(bearer(org.token))
    expect(response.statusCode).toBe(200)
    expect(response.headers['ratelimit-policy']).toBe('60;w=60, 120;w=60')
  })

  it('counts only admitted requests: a rate-limited one uses no quota', async () => {
    await awaitFreshWindow(60_000, 15_000)
    const org = await orgWithAuditor()
    // 4 a minute for the tenant (2 per caller), 3 a day.
    await patchSettings(org.tenantId, { limits: { api_requests_per_day: 3, rate_limit_per_minute: 4 } })
    for (let i = 0; i < 2; i++) expect((await getTenant(bearer(org.token))).statusCode).toBe(200)
    for (let i = 0; i < 5; i++) expectProblem(await getTenant(bearer(org.token)), 429, 'rate_limited')
    expect((await getTenant(bearer(org.auditor))).statusCode).toBe(200)
    expectProblem(await getTenant(bearer(org.auditor)), 429, 'quota_exceeded')
  })
})

describe('max_users and max_items', () => {
  it('refuses past the limit with 403 quota_exceeded and counts it by limit', async () => {
    const org = await api.signUp()
    await patchSettings(org.tenantId, { limits: { max_users: 1, max_items: 1 } })
    const users = await quotaExceeded('max_users')
    const items = await quotaExceeded('max_items')

    const member = await api.app.inject({ method: 'POST', url: '/api/v1/members', headers: bearer(org.token), payload: { email: `x-${org.tenantId}@example.test`, role: 'Analyst' } })
    expect(expectProblem(member, 403, 'quota_exceeded')).toMatchObject({ limit: 'max_users', allowed: 1 })
    const item = (code: string) => api.app.inject({ method: 'POST', url: '/api/v1/inventory', headers: bearer(org.token), payload: { item_code: code, name: code } })
    expectOk(await item('A-1'), 201)
    expect(expectProblem(await item('A-2'), 403, 'quota_exceeded')).toMatchObject({ limit: 'max_items', allowed: 1 })

    expect(await quotaExceeded('max_users')).toBe(users + 1)
    expect(await quotaExceeded('max_items')).toBe(items + 1)
  })
})

describe('feature gates', () => {
  it('refuses API keys when the api_keys feature is off', async () => {
    const org = await api.signUp()
    const create = () => api.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: bearer(org.token), payload: { name: 'k', permissions: ['users:read'] } })
    expectOk(await create(), 201)
    await patchSettings(org.tenantId, { features: { api_keys: false } })
    expect(expectProblem(await create(), 403, 'feature_not_enabled')).toMatchObject({ feature: 'api_keys' })
  })

  it('refuses reports when the reports feature is off', async () => {
    const org = await api.signUp()
    const report = () => api.app.inject({ method: 'GET', url: '/api/v1/reports/inventory-summary', headers: bearer(org.token) })
    expectOk(await report())
    await patchSettings(org.tenantId, { features: { reports: false } })
    expect(expectProblem(await report(), 403, 'feature_not_enabled')).toMatchObject({ feature: 'reports' })
  })

  it('refuses webhooks on a plan without them and allows them on one with them', async () => {
    const basic = await api.signUp()
    const create = (token: string) =>
      api.app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: bearer(token), payload: { name: 'w', url: 'http://127.0.0.1:9/hook', events: ['*'] } })
    expect(expectProblem(await create(basic.token), 403, 'feature_not_enabled')).toMatchObject({ feature: 'webhooks' })
    expectOk(await api.app.inject({ method: 'POST', url: `/api/v1/tenants/${basic.tenantId}/migrate`, headers: api.operator, payload: { targetPlan: 'premium' } }))
    expectOk(await create(basic.token), 201)
  })
})
