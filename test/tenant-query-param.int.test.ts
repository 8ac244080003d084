// ?tenant= (TENANT_QUERY_PARAM_ENABLED) on routes whose query schema is closed: accepted on every
// tenant route when on (by slug and by id, still checked against the credential), refused with a
// line naming the setting when off, and listed in /openapi.json only when on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, createTestApi, SUPER_ADMIN_KEY, type TestApi } from './support/api.ts'

// Tenant routes whose query schemas refuse unknown properties.
const CLOSED_QUERY_ROUTES = ['/api/v1/inventory', '/api/v1/orders', '/api/v1/audit-logs', '/api/v1/members']
const operator = { authorization: `Bearer ${SUPER_ADMIN_KEY}` }

describe('TENANT_QUERY_PARAM_ENABLED=true', () => {
  let api: TestApi
  let a: Awaited<ReturnType<TestApi['signUp']>>
  let b: Awaited<ReturnType<TestApi['signUp']>>
  beforeAll(async () => {
    api = await createTestApi({ TENANT_QUERY_PARAM_ENABLED: 'true', REQUIRE_TENANT: 'true' })
    a = await api.signUp()
    b = await api.signUp()
  })
  afterAll(() => api.close())

  it.each(CLOSED_QUERY_ROUTES)('%s answers 200 with ?tenant=<slug> and ?tenant=<uuid>', async (route) => {
    for (const ref of [a.slug, a.tenantId]) {
      const byOperator = await api.app.inject({ url: `${route}?tenant=${ref}&limit=5`, headers: operator })
      expect(byOperator.statusCode, `${ref}: ${byOperator.body}`).toBe(200)
      const byMember = await api.app.inject({ url: `${route}?tenant=${ref}`, headers: bearer(a.token) })
      expect(byMember.statusCode, `${ref}: ${byMember.body}`).toBe(200)
    }
  })

  it.each(CLOSED_QUERY_ROUTES)('%s still answers tenant_mismatch when ?tenant= names another tenant than the credential', async (route) => {
    for (const ref of [b.slug, b.tenantId, 'no-such-tenant']) {
      const response = await api.app.inject({ url: `${route}?tenant=${ref}`, headers: bearer(a.token) })
      expect(response.statusCode).toBe(403)
      expect(response.json().code).toBe('tenant_mismatch')
    }
  })

  it('serves the tenant the parameter names, to an operator', async () => {
    const response = await api.app.inject({ url: `/api/v1/audit-logs?tenant=${b.slug}`, headers: operator })
    expect(response.statusCode).toBe(200)
    const mine = await api.app.inject({ url: '/api/v1/tenant', headers: bearer(b.token) })
    const served = await api.app.inject({ url: `/api/v1/tenant?tenant=${b.tenantId}`, headers: operator })
    expect(served.json().id).toBe(mine.json().id)
  })

  it('repeated values must all name the same tenant', async () => {
    const response = await api.app.inject({ url: `/api/v1/inventory?tenant=${a.slug}&tenant=${b.slug}`, headers: operator })
    expect(response.statusCode).toBe(403)
    expect(response.json().code).toBe('tenant_mismatch')
  })

  it('is a documented query parameter of every tenant route, and of no platform route', async () => {
    const document = (await api.app.inject('/openapi.json')).json()
    const parameters = (path: string, method: string) => (document.paths[path][method].parameters ?? []) as { in: string; name: string }[]
    for (const route of [...CLOSED_QUERY_ROUTES, '/api/v1/tenant']) {
      expect(parameters(route, 'get').some((p) => p.in === 'query' && p.name === 'tenant'), route).toBe(true)
    }
    expect(parameters('/api/v1/tenants', 'get').some((p) => p.name === 'tenant')).toBe(false)
  })
})

describe('TENANT_QUERY_PARAM_ENABLED=false', () => {
  let api: TestApi
  let a: Awaited<ReturnType<TestApi['signUp']>>
  beforeAll(async () => {
    api = await createTestApi({ TENANT_QUERY_PARAM_ENABLED: 'false' })
    a = await api.signUp()
  })
  afterAll(() => api.close())

  it('refuses ?tenant= on every tenant route with a line naming the setting, open query schema or closed', async () => {
    for (const route of ['/api/v1/inventory', '/api/v1/tenant']) {
      const response = await api.app.inject({ url: `${route}?tenant=${a.slug}`, headers: bearer(a.token) })
      expect(response.statusCode, route).toBe(400)
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(response.json().detail).toContain('TENANT_QUERY_PARAM_ENABLED')
    }
    expect((await api.app.inject({ url: '/api/v1/inventory', headers: bearer(a.token) })).statusCode).toBe(200)
  })

  it('is not documented', async () => {
    const document = (await api.app.inject('/openapi.json')).json()
    const parameters = (document.paths['/api/v1/inventory'].get.parameters ?? []) as { name: string }[]
    expect(parameters.some((p) => p.name === 'tenant')).toBe(false)
  })
})
