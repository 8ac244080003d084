// Every feature flag of the plans guards what its name says (DESIGN §11): off on the tenant's plan
// → 403 feature_not_enabled naming it; on through the plan or the tenant's settings → allowed.
// The informational flags gate nothing and say so in the catalogue.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FEATURES, planCatalog } from '../src/modules/plans/index.ts'
import { bearer, createTestApi, type TestApi } from './support/api.ts'
import { expectOk, expectProblem } from './support/platform.ts'

let api: TestApi
beforeAll(async () => {
  api = await createTestApi()
})
afterAll(async () => {
  await api?.close()
})

const setFeatures = async (tenantId: string, features: Record<string, boolean> | null) =>
  expectOk(await api.app.inject({ method: 'PATCH', url: `/api/v1/tenants/${tenantId}`, headers: api.operator, payload: { settings: { features } } }))
const migrate = async (tenantId: string, targetPlan: string) =>
  expectOk(await api.app.inject({ method: 'POST', url: `/api/v1/tenants/${tenantId}/migrate`, headers: api.operator, payload: { targetPlan } }))

const gated = [
  { feature: 'audit_export', call: { method: 'GET', url: '/api/v1/audit-logs/export' } },
  { feature: 'advanced_analytics', call: { method: 'GET', url: '/api/v1/forecasts/00000000-0000-4000-8000-000000000000' }, allowedStatus: 404 },
  { feature: 'advanced_analytics', call: { method: 'POST', url: '/api/v1/forecasts/recompute', payload: {} } },
] as const

describe.each(gated)('$feature guards $call.method $call.url', ({ feature, call, ...rest }) => {
  const allowedStatus = 'allowedStatus' in rest ? rest.allowedStatus : 200
  const send = (token: string) => api.app.inject({ ...call, headers: bearer(token) } as never)

  it('is refused on the basic plan, where it is off', async () => {
    expect(planCatalog().basic.features[feature]).toBe(false)
    const org = await api.signUp()
    const body = expectProblem(await send(org.token), 403, 'feature_not_enabled')
    expect(body.feature).toBe(feature)
  })

  it("is allowed once the tenant's settings turn it on, and refused again when they turn it off", async () => {
    const org = await api.signUp()
    await setFeatures(org.tenantId, { [feature]: true })
    expect((await send(org.token)).statusCode).toBe(allowedStatus)
    await setFeatures(org.tenantId, { [feature]: false })
    expectProblem(await send(org.token), 403, 'feature_not_enabled')
  })

  it('is allowed on a plan that includes it, and refused when the settings turn it off there', async () => {
    const org = await api.signUp()
    await migrate(org.tenantId, 'premium')
    expect((await send(org.token)).statusCode).toBe(allowedStatus)
    await setFeatures(org.tenantId, { [feature]: false })
    expectProblem(await send(org.token), 403, 'feature_not_enabled')
  })
})

describe('the catalogue of flags', () => {
  it('says of each flag what it guards, or that it is informational', () => {
    expect(Object.keys(FEATURES).sort()).toEqual(['advanced_analytics', 'ai_verification', 'api_keys', 'audit_export', 'biometric_auth', 'custom_branding', 'priority_support', 'reports', 'sso', 'webhooks'])
    const informational = Object.entries(FEATURES).filter(([, spec]) => spec.kind === 'informational').map(([name]) => name).sort()
    expect(informational).toEqual(['ai_verification', 'biometric_auth', 'priority_support', 'sso'])
  })

  it('describes every flag in the OpenAPI document, informational ones as such', async () => {
    const document = (await api.app.inject({ method: 'GET', url: '/openapi.json' })).json()
    const text = JSON.stringify(document)
    for (const [name, spec] of Object.entries(FEATURES)) {
      expect(text, name).toContain(spec.kind === 'gates' ? `guards ${spec.what}` : `informational (gates nothing in Tenantry): ${spec.what}`)
    }
  })
})
