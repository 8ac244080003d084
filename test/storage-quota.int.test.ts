// max_storage_bytes (DESIGN §11: storage 10 GB / 100 GB / 1 TB / 10 TB) is enforced against the
// tenant's storage estimate (the usage snapshot, D39): at or over the limit, writes that add data
// are 403 quota_exceeded; reads, PATCH and DELETE stay open so the tenant can make room.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, createTestApi, type TestApi } from './support/api.ts'
import { expectOk, expectProblem } from './support/platform.ts'

let api: TestApi
beforeAll(async () => {
  api = await createTestApi()
})
afterAll(async () => {
  await api?.close()
})

const setLimits = async (tenantId: string, limits: Record<string, unknown>) =>
  expectOk(await api.app.inject({ method: 'PATCH', url: `/api/v1/tenants/${tenantId}`, headers: api.operator, payload: { settings: { limits } } }))

describe('max_storage_bytes', () => {
  it('refuses writes that add data once the estimate reaches the limit, and admits them again under a larger one', async () => {
    const org = await api.signUp()
    const as = bearer(org.token)
    const item = expectOk(await api.app.inject({ method: 'POST', url: '/api/v1/inventory', headers: as, payload: { item_code: 'S-1', name: 'Shelf' } }), 201)
    const { storage_bytes: used } = await api.services.usageReports.snapshot(org.tenantId)
    expect(used).toBeGreaterThan(0)

    await setLimits(org.tenantId, { max_storage_bytes: used })
    const refused = expectProblem(await api.app.inject({ method: 'POST', url: '/api/v1/inventory', headers: as, payload: { item_code: 'S-2', name: 'Bin' } }), 403, 'quota_exceeded')
    expect(refused).toMatchObject({ limit: 'max_storage_bytes', allowed: used })
    expectProblem(await api.app.inject({ method: 'PUT', url: '/api/v1/config/notes', headers: as, payload: { value: 'x'.repeat(1000) } }), 403, 'quota_exceeded')
    // Reading, changing and deleting what is there is still possible.
    expectOk(await api.app.inject({ method: 'GET', url: '/api/v1/inventory', headers: as }))
    expectOk(await api.app.inject({ method: 'PATCH', url: `/api/v1/inventory/${item.id}`, headers: as, payload: { name: 'Tall shelf' } }))
    const report = expectOk(await api.app.inject({ method: 'GET', url: '/api/v1/usage?timeRange=7d', headers: as }))
    expect(report.limits.storage_bytes).toMatchObject({ limit: used, used, remaining: 0 })

    await setLimits(org.tenantId, { max_storage_bytes: used * 10 })
    expectOk(await api.app.inject({ method: 'POST', url: '/api/v1/inventory', headers: as, payload: { item_code: 'S-2', name: 'Bin' } }), 201)
    await setLimits(org.tenantId, { max_storage_bytes: null })
    expectOk(await api.app.inject({ method: 'PUT', url: '/api/v1/config/notes', headers: as, payload: { value: 'x' } }))
  })

  it('is the plan default: 10 GiB on basic, a tenant far below it writes freely', async () => {
    const org = await api.signUp()
    const tenant = expectOk(await api.app.inject({ method: 'GET', url: '/api/v1/tenant', headers: bearer(org.token) }))
    expect(tenant.configuration.limits.max_storage_bytes).toBe(10 * 1024 ** 3)
    await api.services.usageReports.snapshot(org.tenantId)
    expectOk(await api.app.inject({ method: 'POST', url: '/api/v1/inventory', headers: bearer(org.token), payload: { item_code: 'F-1', name: 'Free' } }), 201)
  })
})
