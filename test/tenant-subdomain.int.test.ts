// Subdomain routing by settings.subdomain (DESIGN §4, §6): a tenant with a subdomain is reached at
// <subdomain>.BASE_DOMAIN and no longer at <slug>.BASE_DOMAIN; without one, at its slug. A label
// routes to one tenant: a subdomain that is another tenant's slug or subdomain is refused (409),
// and so is a new slug that is another tenant's subdomain.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, createTestApi, SUPER_ADMIN_KEY, type TestApi } from './support/api.ts'
import { ownerQuery } from './support/domain.ts'

const BASE = 'tenantry.test'
const operator = { authorization: `Bearer ${SUPER_ADMIN_KEY}` }
let api: TestApi
let a: Awaited<ReturnType<TestApi['signUp']>>
let b: Awaited<ReturnType<TestApi['signUp']>>
const label = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`

beforeAll(async () => {
  api = await createTestApi({ TENANT_SUBDOMAIN_ENABLED: 'true', BASE_DOMAIN: BASE, REQUIRE_TENANT: 'true' })
  a = await api.signUp()
  b = await api.signUp()
})
afterAll(() => api.close())

const onHost = (host: string, headers: Record<string, string>) => api.app.inject({ url: '/api/v1/tenant', headers: { host, ...headers } })
const setSubdomain = (tenantId: string, subdomain: string | null) =>
  api.app.inject({ method: 'PATCH', url: `/api/v1/tenants/${tenantId}`, headers: operator, payload: { settings: { subdomain } } })

describe('settings.subdomain routes', () => {
  it('a tenant whose subdomain differs from its slug is reached on its subdomain, and no longer on its slug', async () => {
    const subdomain = label('shop')
    expect((await setSubdomain(a.tenantId, subdomain)).statusCode).toBe(200)

    const member = await onHost(`${subdomain}.${BASE}`, bearer(a.token))
    expect(member.statusCode, member.body).toBe(200)
    expect(member.json().id).toBe(a.tenantId)
    const byOperator = await onHost(`${subdomain}.${BASE}`, operator)
    expect(byOperator.json().id).toBe(a.tenantId)

    expect((await onHost(`${a.slug}.${BASE}`, bearer(a.token))).json().code).toBe('tenant_mismatch')
    expect((await onHost(`${a.slug}.${BASE}`, operator)).json().code).toBe('tenant_access_denied')
    // Another tenant's member on A's subdomain.
    expect((await onHost(`${subdomain}.${BASE}`, bearer(b.token))).json().code).toBe('tenant_mismatch')
  })

  it('clearing the subdomain brings the slug back, on the next request', async () => {
    const subdomain = label('temp')
    await setSubdomain(b.tenantId, subdomain)
    expect((await onHost(`${subdomain}.${BASE}`, operator)).json().id).toBe(b.tenantId)
    expect((await setSubdomain(b.tenantId, null)).statusCode).toBe(200)
    expect((await onHost(`${b.slug}.${BASE}`, bearer(b.token))).statusCode).toBe(200)
    expect((await onHost(`${subdomain}.${BASE}`, operator)).json().code).toBe('tenant_access_denied')
  })
})

describe('one tenant per label', () => {
  it("refuses a subdomain that is another tenant's slug or subdomain (409), and changes nothing", async () => {
    const taken = label('taken')
    expect((await setSubdomain(a.tenantId, taken)).statusCode).toBe(200)
    for (const value of [taken, a.slug]) {
      const response = await setSubdomain(b.tenantId, value)
      expect(response.statusCode, value).toBe(409)
      expect(response.json().code).toBe('already_exists')
      expect(response.json().detail).toContain(value)
    }
    const tenant = await api.app.inject({ url: `/api/v1/tenants/${b.tenantId}`, headers: operator })
    expect(tenant.json().settings.subdomain).toBeUndefined()
    expect((await onHost(`${taken}.${BASE}`, operator)).json().id).toBe(a.tenantId)
  })

  it('two tenants claiming one label at once: one gets it, the other 409', async () => {
    const contested = label('race')
    const c = await api.createTenant()
    const answers = await Promise.all([
      setSubdomain(c.id, contested),
      api.app.inject({ method: 'POST', url: '/api/v1/tenants', headers: operator, payload: { name: 'Racer', slug: contested } }),
    ])
    const statuses = answers.map((response) => response.statusCode)
    expect(statuses.filter((status) => status === 409), statuses.join()).toHaveLength(1)
    expect(statuses[0] === 200 || statuses[1] === 201, statuses.join()).toBe(true)
    const holders = await ownerQuery(api, `select id from tenants where slug = $1 or settings->>'subdomain' = $1`, [contested])
    expect(holders).toHaveLength(1)
  })

  it('accepts its own slug as subdomain; refuses reserved labels', async () => {
    expect((await setSubdomain(b.tenantId, b.slug)).statusCode).toBe(200)
    const reserved = await setSubdomain(b.tenantId, 'www')
    expect(reserved.statusCode).toBe(400)
    expect(reserved.json().detail).toContain('reserved')
  })

  it("refuses a new tenant whose slug is another tenant's subdomain, or whose subdomain is taken; a derived slug steps past it", async () => {
    const subdomain = label('claimed')
    await setSubdomain(a.tenantId, subdomain)
    const bySlug = await api.app.inject({ method: 'POST', url: '/api/v1/tenants', headers: operator, payload: { name: 'Clash', slug: subdomain } })
    expect(bySlug.statusCode).toBe(409)
    const bySubdomain = await api.app.inject({ method: 'POST', url: '/api/v1/tenants', headers: operator, payload: { name: 'Clash', settings: { subdomain: b.slug } } })
    expect(bySubdomain.statusCode).toBe(409)
    const derived = await api.createTenant({ name: subdomain })
    expect(derived.slug).not.toBe(subdomain)
    expect(derived.slug.startsWith(subdomain)).toBe(true)
  })
})
