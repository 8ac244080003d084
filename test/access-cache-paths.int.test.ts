// Admission has two paths (access.plugin.ts): a request whose token, user, tenant and
// membership are all cached is decided without a promise; anything not cached is looked up
// first. Both must give the same answer. Each case here is prepared through one app, then asked
// three times of a second app whose caches are empty: the first answer takes the lookup path,
// the next two the cached one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp, type App } from '../src/app.ts'
import { createServices } from '../src/services.ts'
import { bearer, createTestApi, type TestApi } from './support/api.ts'
import { ownerQuery } from './support/domain.ts'

let api: TestApi
let cold: App

beforeAll(async () => {
  api = await createTestApi()
  const { config, db } = api.testDb
  cold = await buildApp({ config, db, services: createServices({ config, db }) })
  await cold.ready()
})
afterAll(async () => {
  await cold?.close()
  await api?.close()
})

interface Ask {
  method?: 'GET' | 'POST'
  url?: string
  headers: Record<string, string>
  payload?: Record<string, unknown>
}

const send = (ask: Ask) => cold.inject({ method: ask.method ?? 'GET', url: ask.url ?? '/api/v1/inventory', headers: ask.headers, payload: ask.payload })

/**
 * Status and problem code of the same request asked three times of the cold app. A refusal can
 * come before the membership is looked up (and cached); warmUp, an admitted request of the same
 * caller sent after the first answer, fills the caches so that the next two take the cached path.
 */
async function threeAnswers(ask: Ask, warmUp?: Ask): Promise<string[]> {
  const answers: string[] = []
  for (let i = 0; i < 3; i++) {
    const response = await send(ask)
    answers.push(response.statusCode < 400 ? String(response.statusCode) : `${response.statusCode} ${response.json().code}`)
    if (i === 0 && warmUp) expect((await send(warmUp)).statusCode).toBe(200)
  }
  return answers
}

const same = (answer: string) => [answer, answer, answer]
const newItem = { item_code: 'CACHE-1', name: 'Cache path item', quantity: 1 }

describe('admission answers the same from a cold cache and a warm one', () => {
  let org: Awaited<ReturnType<TestApi['signUp']>>
  let other: Awaited<ReturnType<TestApi['signUp']>>
  beforeAll(async () => {
    org = await api.signUp()
    other = await api.signUp()
  })

  it('an active member with the permission: admitted', async () => {
    const manager = await api.addMember(org.token, 'Manager')
    expect(await threeAnswers({ headers: bearer(manager.token) })).toEqual(same('200'))
  })

  it('a member without the permission: permission_denied, recorded each time', async () => {
    const analyst = await api.addMember(org.token, 'Analyst')
    expect(await threeAnswers({ method: 'POST', headers: bearer(analyst.token), payload: newItem })).toEqual(same('403 permission_denied'))
  })

  it('a suspended membership: membership_suspended', async () => {
    const manager = await api.addMember(org.token, 'Manager')
    await api.app.inject({ method: 'PATCH', url: `/api/v1/members/${manager.userId}`, headers: bearer(org.token), payload: { status: 'suspended' } })
    expect(await threeAnswers({ headers: bearer(manager.token) })).toEqual(same('403 membership_suspended'))
  })

  it('an invited membership: tenant_access_denied', async () => {
    const manager = await api.addMember(org.token, 'Manager')
    await ownerQuery(api, "update tenant_users set status = 'invited' where user_id = $1", [manager.userId])
    expect(await threeAnswers({ headers: bearer(manager.token) })).toEqual(same('403 tenant_access_denied'))
  })

  it('a removed member whose token is still valid: tenant_access_denied', async () => {
    const manager = await api.addMember(org.token, 'Manager')
    await api.app.inject({ method: 'DELETE', url: `/api/v1/members/${manager.userId}`, headers: bearer(org.token) })
    expect(await threeAnswers({ headers: bearer(manager.token) })).toEqual(same('403 tenant_access_denied'))
  })

  it('a disabled user: account_disabled', async () => {
    const manager = await api.addMember(org.token, 'Manager')
    await ownerQuery(api, "update users set status = 'disabled' where id = $1", [manager.userId])
    expect(await threeAnswers({ headers: bearer(manager.token) })).toEqual(same('403 account_disabled'))
  })

  it("a token of one tenant with another tenant's header: tenant_mismatch", async () => {
    const manager = await api.addMember(org.token, 'Manager')
    const mismatch = { headers: { ...bearer(manager.token), 'x-tenant-id': other.tenantId } }
    expect(await threeAnswers(mismatch, { headers: bearer(manager.token) })).toEqual(same('403 tenant_mismatch'))
    // The tenant's own id or slug next to its token is fine.
    expect(await threeAnswers({ headers: { ...bearer(manager.token), 'x-tenant-id': org.slug } })).toEqual(same('200'))
  })

  it('a suspended tenant: tenant_suspended', async () => {
    const suspended = await api.signUp()
    const manager = await api.addMember(suspended.token, 'Manager')
    expect((await api.app.inject({ method: 'POST', url: `/api/v1/tenants/${suspended.tenantId}/suspend`, headers: api.operator })).statusCode).toBe(200)
    expect(await threeAnswers({ headers: bearer(manager.token) })).toEqual(same('403 tenant_suspended'))
  })

  it('API keys: admitted with the permission, permission_denied without', async () => {
    const created = await api.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: bearer(other.token), payload: { name: 'reader', permissions: ['inventory:read'] } })
    const { key } = created.json()
    expect(await threeAnswers({ headers: bearer(key) })).toEqual(same('200'))
    expect(await threeAnswers({ method: 'POST', headers: bearer(key), payload: newItem })).toEqual(same('403 permission_denied'))
  })

  it('no credentials, a malformed header, an unknown token', async () => {
    expect(await threeAnswers({ headers: {} })).toEqual(same('401 unauthorized'))
    expect(await threeAnswers({ headers: { authorization: 'Basic dXNlcjpwYXNz' } })).toEqual(same('401 invalid_token'))
    expect(await threeAnswers({ headers: bearer('not-a-token') })).toEqual(same('401 invalid_token'))
  })

  it('the operator key on a platform route and on a tenant route', async () => {
    expect(await threeAnswers({ url: `/api/v1/tenants/${org.tenantId}`, headers: api.operator })).toEqual(same('200'))
    expect(await threeAnswers({ url: '/api/v1/inventory', headers: { ...api.operator, 'x-tenant-id': org.tenantId } })).toEqual(same('200'))
  })
})
