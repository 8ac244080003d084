// The plans that ship (DESIGN §11) as a new organization meets them: seed 004's password policy
// with its composition rules (seed 003's smoke test passes), the catalogue's limits in the tenant's
// configuration, and a session timeout that bounds every token of the tenant — also one issued
// before the timeout was lowered.
import { randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { planCatalog } from '../src/modules/plans/index.ts'
import { bearer, createTestApi, JWT_SECRET, type TestApi } from './support/api.ts'
import { expectOk, expectProblem } from './support/platform.ts'

let api: TestApi
beforeAll(async () => {
  api = await createTestApi()
})
afterAll(async () => {
  await api?.close()
})

const register = (password: string, name = `Smoke ${randomUUID().slice(0, 8)}`) =>
  api.app.inject({ method: 'POST', url: '/api/v1/auth/register-organization', payload: { organization_name: name, admin_email: `${randomUUID().slice(0, 8)}@smoke.test`, admin_password: password } })
const setLimits = async (tenantId: string, limits: Record<string, unknown>) =>
  expectOk(await api.app.inject({ method: 'PATCH', url: `/api/v1/tenants/${tenantId}`, headers: api.operator, payload: { settings: { limits } } }))
const now = () => Math.floor(Date.now() / 1000)
const tokenIssued = (secondsAgo: number, sub: string, tid: string) =>
  new SignJWT({ tid }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(sub).setIssuedAt(now() - secondsAgo).setExpirationTime(now() + 86_400)
    .setIssuer('tenantry').setAudience('tenantry-api').setJti(randomUUID()).sign(new TextEncoder().encode(JWT_SECRET))

describe('a new organization on the default plan', () => {
  it("passes seed 003's smoke test (admin_password Test123!)", async () => {
    const body = expectOk(await register('Test123!'), 201)
    expect(body.tenant.plan).toBe('basic')
    expect(body.tenant.configuration).toEqual(planCatalog().basic)
  })

  it("is held to seed 004's composition rules", async () => {
    const body = expectProblem(await register('correct horse battery staple'), 400, 'validation_failed')
    expect(body.requirements).toEqual(['an uppercase letter', 'a digit'])
    expect(expectProblem(await register('Sh0rt!'), 400, 'validation_failed').requirements).toEqual(['at least 8 characters'])
    expect(expectProblem(await register('NoDigitsHere!'), 400, 'validation_failed').requirements).toEqual(['a digit'])
  })

  it('gets tokens that last the plan session timeout (1 h), not JWT_EXPIRY (24 h)', async () => {
    const body = expectOk(await register('Test123!'), 201)
    const seconds = (Date.parse(body.session?.expires_at ?? body.expires_at) - Date.now()) / 1000
    expect(seconds).toBeGreaterThan(3500)
    expect(seconds).toBeLessThanOrEqual(3600)
  })
})

describe('the session timeout', () => {
  it('ends a token older than the timeout from its next request, whatever its exp', async () => {
    const org = await api.signUp()
    const twoHoursOld = await tokenIssued(2 * 3600, org.userId, org.tenantId)
    const body = expectProblem(await api.app.inject({ url: '/api/v1/tenant', headers: bearer(twoHoursOld) }), 401, 'invalid_token')
    expect(body.detail).toMatch(/sessions last 60 minutes/)
    // The tenant's settings raise it to 4 h: the same token is good again.
    await setLimits(org.tenantId, { session_timeout_minutes: 240 })
    expectOk(await api.app.inject({ url: '/api/v1/tenant', headers: bearer(twoHoursOld) }))
  })

  it('lowered by the operator, ends longer sessions already issued', async () => {
    const org = await api.signUp()
    await setLimits(org.tenantId, { session_timeout_minutes: 240 })
    const thirtyMinutesOld = await tokenIssued(30 * 60, org.userId, org.tenantId)
    expectOk(await api.app.inject({ url: '/api/v1/tenant', headers: bearer(thirtyMinutesOld) }))
    await setLimits(org.tenantId, { session_timeout_minutes: 15 })
    expectProblem(await api.app.inject({ url: '/api/v1/tenant', headers: bearer(thirtyMinutesOld) }), 401, 'invalid_token')
    // A fresh login is bounded by the new timeout.
    expectOk(await api.app.inject({ url: '/api/v1/tenant', headers: bearer(org.token) }))
  })
})
