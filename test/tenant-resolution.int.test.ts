// DESIGN §6 through HTTP: every resolution path, its conflicts, and a property over random
// combinations of credential and selectors. The route used is GET /api/v1/tenant, which answers
// the id of the tenant the request was admitted to.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, createTestApi, SUPER_ADMIN_KEY, type TestApi } from './support/api.ts'

const BASE = 'tenantry.test'
let api: TestApi
let a: { tenantId: string; slug: string; userId: string; token: string; email: string }
let b: { tenantId: string; slug: string; userId: string; token: string; email: string }
let suspendedInA: { userId: string; token: string }

beforeAll(async () => {
  api = await createTestApi({ TENANT_SUBDOMAIN_ENABLED: 'true', BASE_DOMAIN: BASE, TENANT_QUERY_PARAM_ENABLED: 'true', REQUIRE_TENANT: 'true' })
  a = await api.signUp()
  b = await api.signUp()
  const member = await api.addMember(a.token, 'Analyst')
  await api.app.inject({ method: 'PATCH', url: `/api/v1/members/${member.userId}`, headers: bearer(a.token), payload: { status: 'suspended' } })
  suspendedInA = member
})
afterAll(() => api.close())

const get = (headers: Record<string, string | undefined>, query = '') =>
  api.app.inject({ method: 'GET', url: `/api/v1/tenant${query}`, headers: Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<string, string> })

describe('resolution paths', () => {
  it('a token binds its tenant', async () => {
    const response = await get(bearer(a.token))
    expect(response.statusCode).toBe(200)
    expect(response.json().id).toBe(a.tenantId)
  })

  it.each([
    ['tenant header by id', () => ({ 'x-tenant-id': a.tenantId }), ''],
    ['tenant header by slug', () => ({ 'x-tenant-id': a.slug }), ''],
    ['X-Tenant-Slug', () => ({ 'x-tenant-slug': a.slug }), ''],
    ['subdomain', () => ({ host: `${a.slug}.${BASE}` }), ''],
    ['query parameter', () => ({}), '?tenant=SLUG'],
  ])('an operator names the tenant with the %s', async (_name, headers, query) => {
    const response = await get({ authorization: `Bearer ${SUPER_ADMIN_KEY}`, ...headers() }, query.replace('SLUG', a.slug))
    expect(response.statusCode).toBe(200)
    expect(response.json().id).toBe(a.tenantId)
  })

  it('a selector agreeing with the token is fine; one naming another tenant is tenant_mismatch', async () => {
    expect((await get({ ...bearer(a.token), 'x-tenant-id': a.slug })).statusCode).toBe(200)
    for (const headers of [{ 'x-tenant-id': b.tenantId }, { 'x-tenant-slug': b.slug }, { host: `${b.slug}.${BASE}` }]) {
      const response = await get({ ...bearer(a.token), ...headers })
      expect(response.statusCode).toBe(403)
      expect(response.json().code).toBe('tenant_mismatch')
    }
    expect((await get(bearer(a.token), `?tenant=${b.slug}`)).json().code).toBe('tenant_mismatch')
  })

  it('a selector naming a tenant that does not exist is a mismatch too (no hint it exists or not)', async () => {
    const other = await get({ ...bearer(a.token), 'x-tenant-id': b.slug })
    const missing = await get({ ...bearer(a.token), 'x-tenant-id': 'no-such-tenant' })
    expect(missing.statusCode).toBe(other.statusCode)
    expect(missing.json().code).toBe(other.json().code)
  })

  it('selectors that disagree with each other are tenant_mismatch', async () => {
    const response = await get({ authorization: `Bearer ${SUPER_ADMIN_KEY}`, 'x-tenant-id': a.tenantId, 'x-tenant-slug': b.slug })
    expect(response.statusCode).toBe(403)
    expect(response.json().code).toBe('tenant_mismatch')
  })

  it('an unknown tenant and one the caller cannot see answer the same 403', async () => {
    const platform = (ref: string) => get({ authorization: `Bearer ${SUPER_ADMIN_KEY}`, 'x-tenant-id': ref })
    const unknown = await platform('00000000-0000-4000-8000-00000000dead')
    const unknownSlug = await platform('no-such-tenant')
    for (const response of [unknown, unknownSlug]) {
      expect(response.statusCode).toBe(403)
      expect(response.json().code).toBe('tenant_access_denied')
    }
  })

  it('without any tenant, REQUIRE_TENANT answers tenant_required', async () => {
    const response = await get({ authorization: `Bearer ${SUPER_ADMIN_KEY}` })
    expect(response.statusCode).toBe(403)
    expect(response.json().code).toBe('tenant_required')
  })

  it('garbage selectors are a 4xx, never a 5xx', async () => {
    const garbage = ["'; drop table tenants; --", 'x'.repeat(5000), '💥', '../../etc/passwd', '%00', 'a b', '00000000-0000-0000-0000-00000000000g']
    for (const value of garbage) {
      for (const headers of [{ 'x-tenant-id': value }, { 'x-tenant-slug': value }]) {
        const response = await get({ authorization: `Bearer ${SUPER_ADMIN_KEY}`, ...headers })
        expect(response.statusCode, value).toBeGreaterThanOrEqual(400)
        expect(response.statusCode, value).toBeLessThan(500)
      }
      const query = await get({ authorization: `Bearer ${SUPER_ADMIN_KEY}` }, `?tenant=${encodeURIComponent(value)}`)
      expect(query.statusCode, value).toBeLessThan(500)
    }
  })

  it('a suspended membership is refused; no credential is 401', async () => {
    expect((await get(bearer(suspendedInA.token))).json().code).toBe('membership_suspended')
    expect((await get({})).statusCode).toBe(401)
  })
})

describe('the default tenant', () => {
  it('is used when no tenant is named and ALLOW_DEFAULT_TENANT is on without REQUIRE_TENANT', async () => {
    const lenient = await createTestApi({ REQUIRE_TENANT: 'false', ALLOW_DEFAULT_TENANT: 'true' })
    try {
      const response = await lenient.app.inject({ method: 'GET', url: '/api/v1/tenant', headers: lenient.operator })
      expect(response.statusCode).toBe(200)
      expect(response.json().id).toBe(lenient.testDb.config.DEFAULT_TENANT_ID)
    } finally {
      await lenient.close()
    }
  })

  it('is not used when ALLOW_DEFAULT_TENANT is off', async () => {
    const strict = await createTestApi({ REQUIRE_TENANT: 'false', ALLOW_DEFAULT_TENANT: 'false' })
    try {
      const response = await strict.app.inject({ method: 'GET', url: '/api/v1/tenant', headers: strict.operator })
      expect(response.json().code).toBe('tenant_required')
    } finally {
      await strict.close()
    }
  })
})

describe('property: served for tenant T only when allowed and no selector names another tenant', () => {
  it('holds for random credentials and selectors', async () => {
    const refs = () => ({ aId: a.tenantId, aSlug: a.slug, bId: b.tenantId, bSlug: b.slug })
    const credential = fc.constantFrom('none', 'memberA', 'memberB', 'suspendedA', 'operator')
    const selectorValue = fc.option(fc.constantFrom('aId', 'aSlug', 'bId', 'bSlug', 'unknown', 'garbage'), { nil: undefined })
    await fc.assert(
      fc.asyncProperty(credential, selectorValue, selectorValue, selectorValue, selectorValue, async (cred, header, slugHeader, subdomain, query) => {
        const value = (choice: string | undefined) =>
          choice === undefined ? undefined : choice === 'unknown' ? 'unknown-tenant' : choice === 'garbage' ? '"><script>' : refs()[choice as 'aId']
        const headers: Record<string, string> = {}
        if (cred === 'memberA') Object.assign(headers, bearer(a.token))
        if (cred === 'memberB') Object.assign(headers, bearer(b.token))
        if (cred === 'suspendedA') Object.assign(headers, bearer(suspendedInA.token))
        if (cred === 'operator') headers.authorization = `Bearer ${SUPER_ADMIN_KEY}`
        if (header) headers['x-tenant-id'] = value(header)!
        if (slugHeader) headers['x-tenant-slug'] = value(slugHeader)!
        if (subdomain && subdomain !== 'garbage') headers.host = `${value(subdomain)}.${BASE}`
        const response = await get(headers, query ? `?tenant=${encodeURIComponent(value(query)!)}` : '')

        expect(response.statusCode).toBeLessThan(500)
        if (response.statusCode !== 200) return
        const served = response.json().id as string
        const named = [header, slugHeader, subdomain !== 'garbage' ? subdomain : undefined, query].filter((v) => v !== undefined) as string[]
        // Every selector present names the served tenant.
        for (const choice of named) expect(tenantOf(value(choice)!)).toBe(served)
        // The credential may act in the served tenant.
        if (cred === 'memberA') expect(served).toBe(a.tenantId)
        if (cred === 'memberB') expect(served).toBe(b.tenantId)
        expect(cred).not.toBe('none')
        expect(cred).not.toBe('suspendedA')
      }),
      { numRuns: 150 },
    )
  })
})

/** The tenant a selector value names (by id or slug), or undefined. */
function tenantOf(ref: string): string | undefined {
  if (ref === a.tenantId || ref === a.slug) return a.tenantId
  if (ref === b.tenantId || ref === b.slug) return b.tenantId
  return undefined
}
