// Cross-tenant attempts (tenant_mismatch, tenant_access_denied) are security events: one line on
// the `security` stream with the caller's address, who they are, the credential's tenant and what
// they named, and a count in tenant_cross_access_total{reason}. TenantContextError is counted in
// tenant_context_errors_total.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withTenant } from '../src/db/index.ts'
import { TenantContextError } from '../src/context/index.ts'
import { sampleValue } from '../src/observability/metrics.ts'
import { bearer, createTestApi, SUPER_ADMIN_KEY, type TestApi } from './support/api.ts'
import { captureLogs } from './support/log-capture.ts'

let api: TestApi
let logs: ReturnType<typeof captureLogs>
let a: Awaited<ReturnType<TestApi['signUp']>>
let b: Awaited<ReturnType<TestApi['signUp']>>

beforeAll(async () => {
  logs = captureLogs()
  api = await createTestApi({}, { logger: logs.logger })
  a = await api.signUp()
  b = await api.signUp()
})
afterAll(() => api.close())

const scrape = async () => (await api.app.inject('/metrics')).body
const attempts = (requestId: string) => logs.lines().filter((line) => line.event === 'tenant.cross_tenant_attempt' && line.request_id === requestId)

describe('cross-tenant attempts', () => {
  it('a member of A naming B: a security event with address, user, both tenants and route, and a count', async () => {
    const before = sampleValue(await scrape(), 'tenant_cross_access_total', { reason: 'tenant_mismatch' })
    const response = await api.app.inject({ url: '/api/v1/inventory', headers: { ...bearer(a.token), 'x-tenant-id': b.tenantId, 'x-forwarded-for': '203.0.113.7' } })
    expect(response.json().code).toBe('tenant_mismatch')

    const [line, ...more] = attempts(response.headers['x-request-id'] as string)
    expect(more).toEqual([])
    expect(line).toMatchObject({
      name: 'security',
      level: 40,
      reason: 'tenant_mismatch',
      ip: '203.0.113.7', // the client's address: inject connects from loopback, a trusted proxy by default
      actor: { kind: 'user', id: a.userId },
      credential_tenant_id: a.tenantId,
      requested: [{ source: 'header', value: b.tenantId }],
      method: 'GET',
      route: '/api/v1/inventory',
    })
    expect(logs.text()).not.toContain(a.token)
    expect(sampleValue(await scrape(), 'tenant_cross_access_total', { reason: 'tenant_mismatch' })).toBe(before + 1)
  })

  it('an operator naming a tenant that does not exist: tenant_access_denied, logged and counted', async () => {
    const before = sampleValue(await scrape(), 'tenant_cross_access_total', { reason: 'tenant_access_denied' })
    const response = await api.app.inject({ url: '/api/v1/members', headers: { authorization: `Bearer ${SUPER_ADMIN_KEY}`, 'x-tenant-slug': 'no-such-tenant' } })
    expect(response.json().code).toBe('tenant_access_denied')
    const [line] = attempts(response.headers['x-request-id'] as string)
    expect(line).toMatchObject({ reason: 'tenant_access_denied', actor: { kind: 'platform' }, requested: [{ source: 'slug_header', value: 'no-such-tenant' }], route: '/api/v1/members' })
    expect(line!.credential_tenant_id).toBeUndefined()
    expect(logs.text()).not.toContain(SUPER_ADMIN_KEY)
    expect(sampleValue(await scrape(), 'tenant_cross_access_total', { reason: 'tenant_access_denied' })).toBe(before + 1)
  })

  it('admitted requests and other refusals are no attempt', async () => {
    const text = await scrape()
    const total = () => ['tenant_mismatch', 'tenant_access_denied'].reduce((sum, reason) => sum + sampleValue(text, 'tenant_cross_access_total', { reason }), 0)
    const counted = total()
    const ok = await api.app.inject({ url: '/api/v1/inventory', headers: bearer(a.token) })
    const unauthenticated = await api.app.inject({ url: '/api/v1/inventory', headers: { 'x-tenant-id': b.tenantId } })
    expect([ok.statusCode, unauthenticated.statusCode]).toEqual([200, 401])
    for (const response of [ok, unauthenticated]) expect(attempts(response.headers['x-request-id'] as string)).toEqual([])
    const after = await scrape()
    expect(['tenant_mismatch', 'tenant_access_denied'].reduce((sum, reason) => sum + sampleValue(after, 'tenant_cross_access_total', { reason }), 0)).toBe(counted)
  })
})

describe('tenant_context_errors_total', () => {
  it('counts each TenantContextError', async () => {
    const count = async () => Number(/^tenant_context_errors_total (\S+)$/m.exec(await scrape())?.[1])
    const before = await count()
    await expect(withTenant(api.testDb.db, async () => 1)).rejects.toBeInstanceOf(TenantContextError)
    expect(await count()).toBe(before + 1)
  })
})
