// Custom domains (settings.domains) route by full Host once a DNS TXT record proves ownership, to
// one tenant only; ALLOWED_HOSTS refuses other hosts with 400 host_not_allowed, lets verified
// domains and the health and metrics paths through. DNS is a resolver function the test passes:
// a table of the TXT records "published".
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, createTestApi, SUPER_ADMIN_KEY, type TestApi } from './support/api.ts'
import { ownerQuery } from './support/domain.ts'

const operator = { authorization: `Bearer ${SUPER_ADMIN_KEY}` }
const published = new Map<string, string[]>()
const resolveTxt = async (name: string): Promise<string[][]> => {
  const values = published.get(name)
  if (!values) throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' })
  // As DNS sends long values: in chunks of at most 255 characters.
  return values.map((value) => value.match(/.{1,255}/g) ?? [''])
}

let api: TestApi
let a: Awaited<ReturnType<TestApi['signUp']>>
let b: Awaited<ReturnType<TestApi['signUp']>>
const domain = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}.example.org`

beforeAll(async () => {
  api = await createTestApi({ TENANT_CUSTOM_DOMAINS_ENABLED: 'true', ALLOWED_HOSTS: 'localhost,.tenantry.test', REQUIRE_TENANT: 'true' }, { resolveTxt })
  a = await api.signUp()
  b = await api.signUp()
})
afterAll(() => api.close())

const setDomains = async (tenantId: string, domains: string[] | null) => {
  const response = await api.app.inject({ method: 'PATCH', url: `/api/v1/tenants/${tenantId}`, headers: operator, payload: { settings: { domains } } })
  expect(response.statusCode, response.body).toBe(200)
}
const listDomains = async (token: string) => (await api.app.inject({ url: '/api/v1/tenant/domains', headers: bearer(token) })).json().data as { domain: string; verified: boolean; verification: { name: string; value: string } }[]
const verify = (token: string, name: string) => api.app.inject({ method: 'POST', url: `/api/v1/tenant/domains/${name}/verify`, headers: bearer(token) })
const onHost = (host: string, headers: Record<string, string>) => api.app.inject({ url: '/api/v1/tenant', headers: { host, ...headers } })
const publish = async (token: string, name: string) => {
  const entry = (await listDomains(token)).find((item) => item.domain === name)!
  published.set(entry.verification.name, [`v=spf1 -all`, entry.verification.value])
}

describe('custom domains', () => {
  it('an unverified domain never routes; its TXT record verifies it; then the Host names the tenant', async () => {
    const name = domain('shop')
    await setDomains(a.tenantId, [name])
    const [listed] = await listDomains(a.token)
    expect(listed).toMatchObject({ domain: name, verified: false, verified_at: null, verification: { type: 'TXT', name: `_tenantry-verification.${name}` } })
    expect(listed!.verification.value).toMatch(/^tenantry-verification=[A-Za-z0-9_-]{32}$/)

    // Unverified: the host is no selector (and ALLOWED_HOSTS does not list it).
    expect((await onHost(name, operator)).json().code).toBe('host_not_allowed')
    const missing = await verify(a.token, name)
    expect(missing.statusCode).toBe(422)
    expect(missing.json().detail).toContain('ENOTFOUND')
    expect(missing.json().detail).toContain(listed!.verification.value)

    await publish(a.token, name)
    const verified = await verify(a.token, name)
    expect(verified.statusCode, verified.body).toBe(200)
    expect(verified.json()).toMatchObject({ domain: name, verified: true })

    const served = await onHost(name, operator)
    expect(served.statusCode, served.body).toBe(200)
    expect(served.json().id).toBe(a.tenantId)
    expect((await onHost(name, bearer(a.token))).json().id).toBe(a.tenantId)
    expect((await onHost(name, bearer(b.token))).json().code).toBe('tenant_mismatch')
    const audit = await ownerQuery<{ action: string }>(api, `select action from audit_log where tenant_id = $1 and action = 'tenant.domain_verified'`, [a.tenantId])
    expect(audit).toHaveLength(1)
  })

  it("another tenant's record proves nothing: the token is per tenant and per domain", async () => {
    const name = domain('copy')
    await setDomains(a.tenantId, [name])
    await setDomains(b.tenantId, [name])
    await publish(a.token, name) // A's record, not B's
    expect((await verify(b.token, name)).statusCode).toBe(422)
    expect((await verify(a.token, name)).statusCode).toBe(200)
    // B publishes its record too: the domain is A's already.
    const bRecord = (await listDomains(b.token)).find((item) => item.domain === name)!.verification
    published.set(bRecord.name, [bRecord.value])
    const taken = await verify(b.token, name)
    expect(taken.statusCode).toBe(409)
    expect((await onHost(name, operator)).json().id).toBe(a.tenantId)
  })

  it('a domain not in settings.domains cannot be verified; taken off the list, a verified one stops routing', async () => {
    expect((await verify(a.token, domain('unlisted'))).statusCode).toBe(404)
    const name = domain('gone')
    await setDomains(b.tenantId, [name])
    await publish(b.token, name)
    expect((await verify(b.token, name)).statusCode).toBe(200)
    expect((await onHost(name, operator)).json().id).toBe(b.tenantId)
    await setDomains(b.tenantId, [])
    expect((await onHost(name, operator)).json().code).toBe('host_not_allowed')
    expect(await ownerQuery(api, 'select 1 from tenant_domains where domain = $1', [name])).toHaveLength(0)
  })

  it('verification needs settings:write', async () => {
    const analyst = await api.addMember(a.token, 'Analyst')
    const response = await verify(analyst.token, domain('x'))
    expect(response.json().code).toBe('permission_denied')
  })
})

describe('ALLOWED_HOSTS', () => {
  it('refuses an unlisted Host with 400 host_not_allowed as problem+json, on every route', async () => {
    for (const url of ['/api/v1/tenant', '/api/v1/auth/login', '/openapi.json', '/no-such-route']) {
      const response = await api.app.inject({ url, headers: { host: 'evil.example.com' } })
      expect(response.statusCode, url).toBe(400)
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(response.json().code).toBe('host_not_allowed')
    }
  })

  it('serves listed hosts: exact names, a domain and its subdomains, with ports', async () => {
    for (const host of ['localhost', 'localhost:3001', 'tenantry.test', 'a.tenantry.test', 'A.Tenantry.Test:8080']) {
      expect((await api.app.inject({ url: '/health/live', headers: { host } })).statusCode, host).toBe(200)
      expect((await api.app.inject({ url: '/api/v1/tenant', headers: { host, ...bearer(a.token) } })).statusCode, host).toBe(200)
    }
    expect((await api.app.inject({ url: '/api/v1/tenant', headers: { host: 'eviltenantry.test', ...bearer(a.token) } })).statusCode).toBe(400)
  })

  it('answers health and metrics on any host (probes and scrapers call by address)', async () => {
    for (const url of ['/health/live', '/health/ready', '/health', '/metrics']) {
      expect((await api.app.inject({ url, headers: { host: '10.1.2.3:3001' } })).statusCode, url).toBe(200)
    }
  })
})
