// Who may call the platform routes (DESIGN §6.6, §7): the SUPER_ADMIN_KEY or a platform admin's
// token, nobody else. The list below must be every platform route the app registers (recorded
// on the real app, support/route-recorder.ts): a new platform route fails here until it is added.
// Tenant credentials aim at their own tenant, so a hole would show as a change to it.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { bearer, createTestApi, SUPER_ADMIN_KEY, type TestApi } from './support/api.ts'
import { countRows, expectOk, expectProblem, ownerRows } from './support/platform.ts'
import type { RecordedRoute } from './support/route-recorder.ts'

const recorded = vi.hoisted(() => [] as RecordedRoute[])
vi.mock('fastify', async (importOriginal) => (await import('./support/route-recorder.ts')).recordingFastify(importOriginal, recorded))

interface PlatformCall {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE'
  url: string
  /** The call, aimed at `tenantId`. */
  path: (tenantId: string) => string
  payload?: Record<string, unknown>
}

const call = (method: PlatformCall['method'], url: string, payload?: Record<string, unknown>, query = ''): PlatformCall => ({
  method,
  url,
  path: (tenantId) => url.replace(':id', tenantId) + query,
  payload,
})

const calls: PlatformCall[] = [
  call('GET', '/api/v1/tenants'),
  call('POST', '/api/v1/tenants', { name: 'Intruder Inc', slug: 'intruder-inc' }),
  call('GET', '/api/v1/tenants/:id'),
  call('PATCH', '/api/v1/tenants/:id', { name: 'Taken over', settings: { limits: { max_users: 100000 } } }),
  call('DELETE', '/api/v1/tenants/:id', undefined, '?purge=true'),
  call('POST', '/api/v1/tenants/:id/suspend'),
  call('POST', '/api/v1/tenants/:id/reactivate'),
  call('POST', '/api/v1/tenants/:id/migrate', { targetPlan: 'enterprise' }),
  call('POST', '/api/v1/tenants/:id/users', { email: 'intruder@example.test', role: 'Admin' }),
  call('GET', '/api/v1/tenants/:id/usage', undefined, '?timeRange=7d'),
  call('GET', '/api/v1/tenants/:id/health'),
  call('GET', '/api/v1/tenants/:id/config'),
  call('POST', '/api/v1/tenants/:id/config', { key: 'intruder.note', value: 'taken over' }),
  call('POST', '/api/v1/tenants/:id/export'),
  // A tenant with members is not empty: were it let through, the answer would be a 409, never a change.
  call('POST', '/api/v1/tenants/:id/import', { format: 'tenantry.export', format_version: 1, data: {}, rows: {} }),
  // Aimed at the tenant's founder: erasing them would take the tenant's only Admin.
  { method: 'POST', url: '/api/v1/users/:id/erase', path: () => `/api/v1/users/${org.userId}/erase` },
]

let api: TestApi
let org: Awaited<ReturnType<TestApi['signUp']>>
let apiKey: string

beforeAll(async () => {
  api = await createTestApi()
  org = await api.signUp()
  const created = await api.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: bearer(org.token), payload: { name: 'admin key', role: 'Admin' } })
  expect(created.statusCode, created.body).toBe(201)
  apiKey = created.json().key
})
afterAll(() => api?.close())

const callAll = (headers: Record<string, string>, tenantId = org.tenantId) =>
  Promise.all(calls.map((c) => api.app.inject({ method: c.method, url: c.path(tenantId), headers, ...(c.payload ? { payload: c.payload } : {}) })))

const tenantRow = async (id: string) => (await ownerRows(api, 'select name, status, plan, settings, deleted_at from tenants where id = $1', [id]))[0]

describe('platform routes', () => {
  it('are exactly the routes listed here', () => {
    const key = (route: { method: string; url: string }) => `${route.method} ${route.url}`
    const registered = recorded.filter((route) => route.access === 'platform' && route.method !== 'HEAD').map(key).sort()
    expect(registered, 'platform routes the app registers vs the list in this test').toEqual(calls.map(key).sort())
  })

  it('refuse a request without credentials with 401 unauthorized', async () => {
    for (const response of await callAll({})) expectProblem(response, 401, 'unauthorized')
  })

  it('refuse a wrong or malformed key with 401 invalid_token', async () => {
    for (const authorization of [`Bearer ${SUPER_ADMIN_KEY}x`, `Bearer ${SUPER_ADMIN_KEY.slice(0, -1)}`, 'Bearer wrong-key', `Basic ${SUPER_ADMIN_KEY}`, 'Bearer tnt_abc_def', 'Bearer']) {
      for (const response of await callAll({ authorization })) expectProblem(response, 401, 'invalid_token')
    }
  })

  it("refuse a tenant Admin's token and an Admin API key with 403 forbidden, even on their own tenant, and change nothing", async () => {
    const before = await tenantRow(org.tenantId)
    const members = await countRows(api, 'tenant_users', 'tenant_id = $1', [org.tenantId])
    for (const headers of [bearer(org.token), bearer(apiKey), { ...bearer(org.token), 'x-tenant-id': org.tenantId }]) {
      for (const response of await callAll(headers)) expectProblem(response, 403, 'forbidden')
    }
    expect(await tenantRow(org.tenantId)).toEqual(before)
    expect(await countRows(api, 'tenant_users', 'tenant_id = $1', [org.tenantId])).toBe(members)
    expect(await countRows(api, 'tenants', 'slug = $1', ['intruder-inc'])).toBe(0)
    expect(await countRows(api, 'tenant_configurations', 'key = $1', ['intruder.note'])).toBe(0)
  })

  it('admit the SUPER_ADMIN_KEY in either case of the Bearer scheme', async () => {
    expectOk(await api.app.inject({ method: 'GET', url: '/api/v1/tenants?limit=1', headers: { authorization: `bearer ${SUPER_ADMIN_KEY}` } }))
    expectOk(await api.app.inject({ method: 'GET', url: `/api/v1/tenants/${org.tenantId}/health`, headers: { authorization: `Bearer ${SUPER_ADMIN_KEY}` } }))
  })
})
