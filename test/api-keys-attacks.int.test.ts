// Attacks on API keys: every forged, altered, revoked or expired key is 401 invalid_token; a
// malformed one never reaches the database; a valid key only ever acts in its own tenant.
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { buildApp, type App } from '../src/app.ts'
import type { Database } from '../src/db/index.ts'
import { createServices } from '../src/services.ts'
import { bearer, createTestApi, type TestApi } from './support/api.ts'
import { expectOk, expectProblem, ownerRows } from './support/platform.ts'
import { redisUrl, serverUrl, testRedis } from './support/test-env.ts'

let api: TestApi
let redis: Redis | undefined
let tenantA: Awaited<ReturnType<TestApi['signUp']>>
let tenantB: Awaited<ReturnType<TestApi['signUp']>>
let keyA: { id: string; key: string }
let keyB: { id: string; key: string }

beforeAll(async () => {
  redis = testRedis()
  api = await createTestApi({}, { redis })
  tenantA = await api.signUp()
  tenantB = await api.signUp()
  keyA = await newKey(tenantA.token)
  keyB = await newKey(tenantB.token)
})
afterAll(async () => {
  await api?.close()
  redis?.disconnect()
})

async function newKey(token: string, payload: Record<string, unknown> = {}): Promise<{ id: string; key: string }> {
  const response = await api.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: bearer(token), payload: { name: 'k', permissions: ['users:read', 'settings:read'], ...payload } })
  return expectOk(response, 201)
}

const members = (key: string, headers: Record<string, string> = {}, app: App = api.app) => app.inject({ url: '/api/v1/members', headers: { ...bearer(key), ...headers } })
const refused = async (key: string) => expectProblem(await members(key), 401, 'invalid_token')
const flip = (text: string, index: number) => text.slice(0, index) + (text[index] === 'A' ? 'B' : 'A') + text.slice(index + 1)

describe('forged and altered keys are 401 invalid_token', () => {
  it('wrong length: one character more or less, empty secret, bare prefix', async () => {
    expect((await members(keyA.key)).statusCode).toBe(200)
    for (const key of [`${keyA.key}A`, keyA.key.slice(0, -1), keyA.key.slice(0, 45), keyA.key.slice(0, 44), 'tnt_', `${keyA.key}${keyA.key}`]) await refused(key)
  })

  it('wrong prefix: garbage after tnt_, upper-case hex, another scheme, a missing separator', async () => {
    const secret = keyA.key.slice(45)
    for (const key of [
      `tnt_${'z'.repeat(40)}_${secret}`,
      `tnt_${keyA.key.slice(4, 44).toUpperCase()}_${secret}`,
      `TNT_${keyA.key.slice(4)}`,
      `tnk_${keyA.key.slice(4)}`,
      `tnt_${keyA.key.slice(4, 44)}-${secret}`,
      `tnt_${keyA.key.slice(4, 44)}_${secret.slice(0, 42)}=`,
      `tnt_${'0'.repeat(40)}_${secret}`,
    ]) await refused(key)
  })

  it("another tenant's prefix with this secret, and this prefix with another key's secret", async () => {
    await refused(`tnt_${keyB.key.slice(4, 44)}_${keyA.key.slice(45)}`)
    await refused(`tnt_${keyA.key.slice(4, 44)}_${keyB.key.slice(45)}`)
    // This tenant, another key id (a well-formed prefix that names no key).
    await refused(keyA.key.slice(0, 43) + (keyA.key[43] === '0' ? '1' : '0') + keyA.key.slice(44))
  })

  it('any single flipped character of the secret', async () => {
    for (const index of [45, 50, 60, 70, 80, 87]) await refused(flip(keyA.key, index))
    expect((await members(keyA.key)).statusCode).toBe(200)
  })

  it('malformed keys never reach the database', async () => {
    const statement = vi.spyOn(api.testDb.db, 'tenantStatement')
    const transaction = vi.spyOn(api.testDb.db, 'tenantTransaction')
    try {
      for (const key of [`${keyA.key}A`, `tnt_${'z'.repeat(40)}_${keyA.key.slice(45)}`, 'tnt_x', `tnt_${keyA.key.slice(4, 44).toUpperCase()}_${keyA.key.slice(45)}`]) await refused(key)
      expect(statement).not.toHaveBeenCalled()
      expect(transaction).not.toHaveBeenCalled()
    } finally {
      statement.mockRestore()
      transaction.mockRestore()
    }
  })
})

describe('revoked and expired keys', () => {
  it('a revoked key is refused from the next request on, even while cached', async () => {
    const key = await newKey(tenantA.token)
    expect((await members(key.key)).statusCode).toBe(200)
    expect((await api.app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${key.id}`, headers: bearer(tenantA.token) })).statusCode).toBe(204)
    await refused(key.key)
    await refused(key.key)
  })

  it('a key whose expires_at is past is refused', async () => {
    const key = await newKey(tenantA.token, { expires_at: new Date(Date.now() + 3_600_000).toISOString() })
    await ownerRows(api, "update api_keys set expires_at = now() - interval '1 second' where id = $1", [key.id])
    await refused(key.key)
  })

  it('a cached key is refused once its expiry passes', async () => {
    const expiresAt = Date.now() + 20_000
    const key = await newKey(tenantA.token, { expires_at: new Date(expiresAt).toISOString() })
    expect((await members(key.key)).statusCode).toBe(200)
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      vi.setSystemTime(expiresAt + 1)
      await refused(key.key)
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('a key acts only in its own tenant', () => {
  it("a selector naming another tenant is 403 tenant_mismatch, by id or by slug", async () => {
    expectProblem(await members(keyA.key, { 'x-tenant-id': tenantB.tenantId }), 403, 'tenant_mismatch')
    expectProblem(await members(keyA.key, { 'x-tenant-id': tenantB.slug }), 403, 'tenant_mismatch')
    expectProblem(await members(keyA.key, { 'x-tenant-slug': tenantB.slug }), 403, 'tenant_mismatch')
    // Naming its own tenant is fine, and the answer is that tenant's data.
    const own = expectOk(await members(keyA.key, { 'x-tenant-id': tenantA.tenantId }))
    expect(own.data.map((member: { user_id: string }) => member.user_id)).toEqual([tenantA.userId])
  })

  it("a suspended tenant's keys are refused (403 tenant_suspended) and work again on reactivation", async () => {
    const tenant = await api.signUp()
    const { key } = await newKey(tenant.token)
    expect((await members(key)).statusCode).toBe(200)
    expect((await api.app.inject({ method: 'POST', url: `/api/v1/tenants/${tenant.tenantId}/suspend`, headers: api.operator })).statusCode).toBe(200)
    expectProblem(await members(key), 403, 'tenant_suspended')
    expect((await api.app.inject({ method: 'POST', url: `/api/v1/tenants/${tenant.tenantId}/reactivate`, headers: api.operator })).statusCode).toBe(200)
    expect((await members(key)).statusCode).toBe(200)
  })
})

// Two instances on one PostgreSQL database, sharing Redis: a revocation through one must reach
// the other's cache of verified keys (PGlite has one handle: skipped).
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

  it('a key revoked through instance 1 is refused by instance 2', async () => {
    const key = await newKey(tenantA.token)
    expect((await members(key.key, {}, app2)).statusCode).toBe(200) // cached as verified on instance 2
    expect((await members(key.key, {}, app2)).statusCode).toBe(200)
    expect((await api.app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${key.id}`, headers: bearer(tenantA.token) })).statusCode).toBe(204)
    const deadline = Date.now() + 2000
    let response = await members(key.key, {}, app2)
    while (response.statusCode !== 401 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      response = await members(key.key, {}, app2)
    }
    expectProblem(response, 401, 'invalid_token')
  })
})
