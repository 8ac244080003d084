// DESIGN §6.5 / §8: a suspended membership, a disabled user, a suspended tenant or a changed role
// takes effect on the very next request, whatever tokens are outstanding — membership is
// re-checked per request, cached briefly and invalidated on change; across instances through
// Redis when present.
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp, type App } from '../src/app.ts'
import type { Database } from '../src/db/index.ts'
import { createServices } from '../src/services.ts'
import { bearer, createTestApi, PASSWORD, type TestApi } from './support/api.ts'
import { redisUrl, serverUrl, testRedis } from './support/test-env.ts'

let api: TestApi
let redis: Redis | undefined

beforeAll(async () => {
  redis = testRedis()
  api = await createTestApi({}, { redis })
})
afterAll(async () => {
  await api?.close()
  redis?.disconnect()
})

const members = (token: string, app: App = api.app) => app.inject({ url: '/api/v1/members', headers: bearer(token) })
const patchMember = (adminToken: string, userId: string, payload: Record<string, unknown>) =>
  api.app.inject({ method: 'PATCH', url: `/api/v1/members/${userId}`, headers: bearer(adminToken), payload })

async function ownerQuery(sql: string, params: unknown[] = []): Promise<void> {
  await api.testDb.db.withOwnerSession((session) => session.query(sql, params))
}

function expectRefused(response: { statusCode: number; json(): { code: string } }, code: string) {
  expect(response.statusCode).toBe(403)
  expect(response.json().code).toBe(code)
}

describe('on this instance', () => {
  let org: Awaited<ReturnType<TestApi['signUp']>>
  beforeAll(async () => {
    org = await api.signUp()
  })

  it('a suspended membership is refused on the next request (403 membership_suspended) and works again when reactivated', async () => {
    const manager = await api.addMember(org.token, 'Manager')
    expect((await members(manager.token)).statusCode).toBe(200) // cached as active

    expect((await patchMember(org.token, manager.userId, { status: 'suspended' })).json().status).toBe('suspended')
    expectRefused(await members(manager.token), 'membership_suspended')
    // A fresh login is refused too.
    const relogin = await api.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: manager.email, password: PASSWORD, tenant: org.tenantId } })
    expectRefused(relogin, 'membership_suspended')

    expect((await patchMember(org.token, manager.userId, { status: 'active' })).json().status).toBe('active')
    expect((await members(manager.token)).statusCode).toBe(200)
  })

  it('a role change applies on the next request', async () => {
    const manager = await api.addMember(org.token, 'Manager')
    expect((await members(manager.token)).statusCode).toBe(200)
    expect((await patchMember(org.token, manager.userId, { role: 'Analyst' })).statusCode).toBe(200)
    const denied = await members(manager.token)
    expectRefused(denied, 'permission_denied')
    expect((await patchMember(org.token, manager.userId, { role: 'Manager' })).statusCode).toBe(200)
    expect((await members(manager.token)).statusCode).toBe(200)
  })

  it('a removed member is refused on the next request (403 tenant_access_denied)', async () => {
    const manager = await api.addMember(org.token, 'Manager')
    expect((await members(manager.token)).statusCode).toBe(200)
    const removed = await api.app.inject({ method: 'DELETE', url: `/api/v1/members/${manager.userId}`, headers: bearer(org.token) })
    expect(removed.statusCode).toBe(204)
    expectRefused(await members(manager.token), 'tenant_access_denied')
  })

  it('a disabled user is refused on the next request (403 account_disabled), in every tenant, until re-enabled', async () => {
    const manager = await api.addMember(org.token, 'Manager')
    const otherOrg = await api.signUp()
    const joined = await api.app.inject({ method: 'POST', url: '/api/v1/members', headers: bearer(otherOrg.token), payload: { email: manager.email, role: 'Manager' } })
    expect(joined.statusCode).toBe(201)
    const otherToken = await api.login(manager.email, PASSWORD, otherOrg.tenantId)
    expect((await members(manager.token)).statusCode).toBe(200)
    expect((await members(otherToken)).statusCode).toBe(200)

    await ownerQuery("update users set status = 'disabled' where id = $1", [manager.userId])
    api.services.bus.publish({ kind: 'user', userId: manager.userId })
    expectRefused(await members(manager.token), 'account_disabled')
    expectRefused(await members(otherToken), 'account_disabled')
    // GET /auth/me (any authenticated route) as well, and a new login with the right password.
    expectRefused(await api.app.inject({ url: '/api/v1/auth/me', headers: bearer(manager.token) }), 'account_disabled')
    const relogin = await api.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: manager.email, password: PASSWORD } })
    expectRefused(relogin, 'account_disabled')

    await ownerQuery("update users set status = 'active' where id = $1", [manager.userId])
    api.services.bus.publish({ kind: 'user', userId: manager.userId })
    expect((await members(manager.token)).statusCode).toBe(200)
  })

  it('a suspended tenant is refused to its members on the next request (403 tenant_suspended) and back on reactivation', async () => {
    const tenant = await api.signUp()
    const bystander = await api.addMember(org.token, 'Manager')
    expect((await members(tenant.token)).statusCode).toBe(200)

    const suspended = await api.app.inject({ method: 'POST', url: `/api/v1/tenants/${tenant.tenantId}/suspend`, headers: api.operator })
    expect(suspended.statusCode).toBe(200)
    expectRefused(await members(tenant.token), 'tenant_suspended')
    const relogin = await api.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: tenant.email, password: PASSWORD } })
    expectRefused(relogin, 'tenant_suspended')
    // Other tenants are unaffected.
    expect((await members(bystander.token)).statusCode).toBe(200)

    expect((await api.app.inject({ method: 'POST', url: `/api/v1/tenants/${tenant.tenantId}/reactivate`, headers: api.operator })).statusCode).toBe(200)
    expect((await members(tenant.token)).statusCode).toBe(200)
  })
})

// Two app instances on one PostgreSQL database, sharing Redis: a change made through one
// instance must reach the other's caches through pub/sub (PGlite has one handle: skipped).
describe.runIf(Boolean(redisUrl() && serverUrl()))('across instances (PostgreSQL + Redis)', () => {
  let db2: Database
  let redis2: Redis
  let app2: App

  beforeAll(async () => {
    db2 = await api.testDb.reopen()
    redis2 = testRedis()!
    const services = createServices({ config: api.testDb.config, db: db2, redis: redis2 })
    app2 = await buildApp({ config: api.testDb.config, db: db2, redis: redis2, services })
    await app2.ready()
  })
  afterAll(async () => {
    await app2?.close()
    redis2?.disconnect()
  })

  /** Polls app 2 until it answers `status` (pub/sub is asynchronous), for at most 2 s. */
  async function eventually(token: string, status: number, code?: string) {
    const deadline = Date.now() + 2000
    let response = await members(token, app2)
    while (response.statusCode !== status && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      response = await members(token, app2)
    }
    expect(response.statusCode).toBe(status)
    if (code) expect(response.json().code).toBe(code)
  }

  it('a membership suspended through instance 1 is refused by instance 2, and reactivation reaches it too', async () => {
    const org = await api.signUp()
    const manager = await api.addMember(org.token, 'Manager')
    // Warm both caches: each instance now holds the membership as active.
    expect((await members(manager.token)).statusCode).toBe(200)
    expect((await members(manager.token, app2)).statusCode).toBe(200)
    expect((await members(manager.token, app2)).statusCode).toBe(200)

    expect((await patchMember(org.token, manager.userId, { status: 'suspended' })).statusCode).toBe(200)
    expectRefused(await members(manager.token), 'membership_suspended')
    await eventually(manager.token, 403, 'membership_suspended')

    expect((await patchMember(org.token, manager.userId, { status: 'active' })).statusCode).toBe(200)
    await eventually(manager.token, 200)
  })

  it('a role change, a disabled user and a suspended tenant reach instance 2 as well', async () => {
    const org = await api.signUp()
    const manager = await api.addMember(org.token, 'Manager')
    expect((await members(manager.token, app2)).statusCode).toBe(200)
    expect((await members(org.token, app2)).statusCode).toBe(200)

    expect((await patchMember(org.token, manager.userId, { role: 'Analyst' })).statusCode).toBe(200)
    await eventually(manager.token, 403, 'permission_denied')
    expect((await patchMember(org.token, manager.userId, { role: 'Manager' })).statusCode).toBe(200)
    await eventually(manager.token, 200)

    await ownerQuery("update users set status = 'disabled' where id = $1", [manager.userId])
    api.services.bus.publish({ kind: 'user', userId: manager.userId })
    await eventually(manager.token, 403, 'account_disabled')

    expect((await api.app.inject({ method: 'POST', url: `/api/v1/tenants/${org.tenantId}/suspend`, headers: api.operator })).statusCode).toBe(200)
    await eventually(org.token, 403, 'tenant_suspended')
  })
})
