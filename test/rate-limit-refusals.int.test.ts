// Requests that access control refuses are rate limited too (D64), before the refusal goes any
// further: a credential that does not authenticate counts against its address's limit, a caller
// refused after authentication against its own (inside its tenant: its share of the tenant's
// rate and the tenant's rate, never the daily quota). Past the limit the answer is 429 with
// Retry-After, and a permission denial is no longer written to the RBAC log. With REDIS_URL the
// counters live in Redis and outlive this file: every test uses fresh tenants and random
// addresses, and the operator (one key shared with other files) is given a limit it cannot reach.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renderMetrics, sampleValue } from '../src/observability/metrics.ts'
import { bearer, createTestApiOnRedis, PASSWORD, type TestApiOnRedis } from './support/api.ts'
import { expectOk, expectProblem, ownerRows } from './support/platform.ts'
import { awaitFreshWindow } from './support/rate-limits.ts'

const octet = () => 1 + Math.floor(Math.random() * 254)
const randomIp = () => `10.${octet()}.${octet()}.${octet()}`
const rateLimited = async (plan: string) => sampleValue(await renderMetrics(), 'rate_limited_total', { plan })

describe('refused before authentication: the address limit', () => {
  let small: TestApiOnRedis

  beforeAll(async () => {
    // 5 requests a minute per caller without a tenant plan; nothing here calls as the operator.
    small = await createTestApiOnRedis({ RATE_LIMIT_MULTIPLIER: '1', RATE_LIMIT_MAX_REQUESTS: '5', RATE_LIMIT_WINDOW_MS: '60000' })
  })
  afterAll(() => small?.close())

  const getTenant = (remoteAddress: string, headers: Record<string, string>) => small.app.inject({ method: 'GET', url: '/api/v1/tenant', headers, remoteAddress })
  /** A tenant and its Admin, signed up from an address of its own. */
  const signUp = async () => {
    const payload = { organization_name: `Refusals ${randomUUID()}`, admin_email: `admin-${randomUUID()}@example.test`, admin_password: PASSWORD }
    const body = expectOk(await small.app.inject({ method: 'POST', url: '/api/v1/auth/register-organization', payload, remoteAddress: randomIp() }), 201)
    return { tenantId: body.tenant.id as string, token: body.token as string }
  }

  it('answers 429 past the limit to bad tokens, unknown API keys and missing credentials alike, and shares it with public routes', async () => {
    await awaitFreshWindow(60_000, 20_000)
    const ip = randomIp()
    const before = await rateLimited('none')
    const refusals: [Record<string, string>, string][] = [
      [bearer('garbage1'), 'invalid_token'],
      [bearer(`tnt_${randomUUID().slice(0, 8)}_${randomUUID()}`), 'invalid_token'],
      [{ authorization: 'Basic dXNlcjpwYXNz' }, 'invalid_token'],
      [{}, 'unauthorized'],
      [bearer('garbage2'), 'invalid_token'],
    ]
    for (const [n, [headers, code]] of refusals.entries()) {
      const response = await getTenant(ip, headers)
      expectProblem(response, 401, code)
      expect(response.headers).toMatchObject({ 'ratelimit-limit': '5', 'ratelimit-remaining': String(4 - n), 'ratelimit-policy': '5;w=60' })
    }
    for (const [headers] of refusals) {
      const refused = await getTenant(ip, headers)
      const body = expectProblem(refused, 429, 'rate_limited')
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
      expect(body.retry_after).toBe(Number(refused.headers['retry-after']))
    }
    expect(await rateLimited('none')).toBe(before + refusals.length)
    // The address is out for its public calls too; another address is not.
    const login = (remoteAddress: string) => small.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress, payload: { email: 'nobody@example.test', password: 'not the password at all' } })
    expectProblem(await login(ip), 429, 'rate_limited')
    expectProblem(await getTenant(randomIp(), bearer('garbage3')), 401, 'invalid_token')
  })

  it('counts a caller refused outside its tenants against its own limit, whatever address it calls from', async () => {
    await awaitFreshWindow(60_000, 20_000)
    const mine = await signUp()
    const other = await signUp()
    const elsewhere = { ...bearer(mine.token), 'x-tenant-id': other.tenantId }
    for (let i = 0; i < 5; i++) expectProblem(await getTenant(randomIp(), elsewhere), 403, 'tenant_mismatch')
    for (let i = 0; i < 3; i++) expectProblem(await getTenant(randomIp(), elsewhere), 429, 'rate_limited')
    // Its own tenant's traffic counts against the plan's limits, not this one.
    expectOk(await getTenant(randomIp(), bearer(mine.token)))
  })
})

describe('refused inside the caller tenant: the plan rate, not the daily quota', () => {
  let api: TestApiOnRedis

  beforeAll(async () => {
    api = await createTestApiOnRedis({ RATE_LIMIT_MULTIPLIER: '1', RATE_LIMIT_MAX_REQUESTS: '10000000' })
  })
  afterAll(() => api?.close())

  const asOperator = (tenantId: string) => ({ ...api.operator, 'x-tenant-id': tenantId })
  const createItem = (headers: Record<string, string>) => api.app.inject({ method: 'POST', url: '/api/v1/inventory', headers, payload: { item_code: `I-${randomUUID().slice(0, 8)}`, name: 'Crate' } })
  const getTenant = (headers: Record<string, string>) => api.app.inject({ method: 'GET', url: '/api/v1/tenant', headers })
  const deniedRows = async (tenantId: string) => (await ownerRows<{ n: number }>(api, 'select count(*)::int as n from rbac_audit_log where tenant_id = $1', [tenantId]))[0]!.n
  const denied = async () => sampleValue(await renderMetrics(), 'rbac_denied_total', { permission: 'inventory:write', resource: 'inventory', action: 'write' })

  /** A tenant with an Analyst (no inventory:write) and an API key that may only read settings, all set up by the operator so the tenant's counts start at zero. */
  async function tenantWithLimits(limits: Record<string, number | null>) {
    const org = await api.signUp()
    const email = `analyst-${randomUUID()}@example.test`
    expectOk(await api.app.inject({ method: 'POST', url: '/api/v1/members', headers: asOperator(org.tenantId), payload: { email, password: PASSWORD, role: 'Analyst' } }), 201)
    const analyst = await api.login(email, PASSWORD, org.tenantId)
    const { key } = expectOk(await api.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: asOperator(org.tenantId), payload: { name: 'settings reader', permissions: ['settings:read'] } }), 201)
    expectOk(await api.app.inject({ method: 'PATCH', url: `/api/v1/tenants/${org.tenantId}`, headers: api.operator, payload: { settings: { limits } } }))
    return { ...org, analyst: analyst as string, key: key as string }
  }

  it('refuses a member past its share with 429 and writes no more denials; the daily quota stays whole', async () => {
    await awaitFreshWindow(60_000, 20_000)
    // 6 a minute for the tenant (3 per caller), 2 a day.
    const org = await tenantWithLimits({ rate_limit_per_minute: 6, api_requests_per_day: 2 })
    const before = await denied()
    for (const remaining of [2, 1, 0]) {
      const response = await createItem(bearer(org.analyst))
      expectProblem(response, 403, 'permission_denied')
      expect(response.headers).toMatchObject({ 'ratelimit-limit': '3', 'ratelimit-remaining': String(remaining), 'ratelimit-policy': '3;w=60, 6;w=60' })
    }
    expect(await deniedRows(org.tenantId)).toBe(3)
    for (let i = 0; i < 5; i++) {
      const refused = await createItem(bearer(org.analyst))
      expectProblem(refused, 429, 'rate_limited')
      expect(refused.headers['retry-after']).toBe(refused.headers['ratelimit-reset'])
    }
    expect(await deniedRows(org.tenantId)).toBe(3)
    expect(await denied()).toBe(before + 3)
    // The member's admitted requests share its limit: it has none left this minute.
    expectProblem(await api.app.inject({ method: 'GET', url: '/api/v1/inventory', headers: bearer(org.analyst) }), 429, 'rate_limited')

    // The Admin is admitted and counted as before: the quota (2 a day) was not touched by the
    // refusals, and is the limit closest to its end.
    const first = await getTenant(bearer(org.token))
    expect(first.statusCode).toBe(200)
    expect(first.headers).toMatchObject({ 'ratelimit-limit': '2', 'ratelimit-remaining': '1', 'ratelimit-policy': '2;w=86400, 3;w=60, 6;w=60' })
    expect((await getTenant(bearer(org.token))).statusCode).toBe(200)
    expectProblem(await getTenant(bearer(org.token)), 429, 'quota_exceeded')
  })

  it("bounds the denials of all the tenant's callers together by the tenant's rate", async () => {
    await awaitFreshWindow(60_000, 20_000)
    // 4 a minute for the tenant, 2 per caller, no daily quota.
    const org = await tenantWithLimits({ rate_limit_per_minute: 4, api_requests_per_day: null })
    for (let i = 0; i < 2; i++) expectProblem(await createItem(bearer(org.analyst)), 403, 'permission_denied')
    expectProblem(await createItem(bearer(org.analyst)), 429, 'rate_limited')
    // The API key is refused on its own lookup path (keys are not cached before their first use).
    for (let i = 0; i < 2; i++) expectProblem(await createItem(bearer(org.key)), 403, 'permission_denied')
    const refused = await createItem(bearer(org.key))
    expectProblem(refused, 429, 'rate_limited')
    expect(refused.headers).toMatchObject({ 'ratelimit-limit': '2', 'ratelimit-remaining': '0' })
    expect(await deniedRows(org.tenantId)).toBe(4)
    // The tenant's 4 are used: its Admin's admitted request is refused on the tenant's rate.
    const admin = await getTenant(bearer(org.token))
    expectProblem(admin, 429, 'rate_limited')
    expect(admin.headers).toMatchObject({ 'ratelimit-limit': '4', 'ratelimit-remaining': '0' })
  })
})
