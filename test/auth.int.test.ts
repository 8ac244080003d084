// DESIGN §7: sign-up, login, password storage and policy, tenant choice at login, session
// timeout. Everything through HTTP on a real database; state checked as the schema owner.
import { randomUUID } from 'node:crypto'
import bcrypt from 'bcryptjs'
import type { Redis } from 'ioredis'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, createTestApi, PASSWORD, type TestApi } from './support/api.ts'
import { testRedis } from './support/test-env.ts'

const ARGON2ID_PREFIX = '$argon2id$v=19$m=19456,t=2,p=1$'

let api: TestApi
let redis: Redis | undefined

beforeAll(async () => {
  // With REDIS_URL the login throttle lives in Redis (shared across files and runs): every
  // failing login below comes from a fresh random IP so counters never collide.
  redis = testRedis()
  api = await createTestApi({}, { redis })
})
afterAll(async () => {
  await api?.close()
  redis?.disconnect()
})

const uniqueEmail = (prefix = 'user') => `${prefix}-${randomUUID().slice(0, 12)}@example.test`
const randomIp = () => `10.${1 + Math.floor(Math.random() * 254)}.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 254)}`
const bytes = (value: string) => Buffer.byteLength(value, 'utf8')

async function ownerQuery<Row = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<Row[]> {
  const { rows } = await api.testDb.db.withOwnerSession((session) => session.query<Row>(sql, params))
  return rows
}

function register(payload: Record<string, unknown>, target: TestApi = api) {
  return target.app.inject({ method: 'POST', url: '/api/v1/auth/register-organization', payload })
}

function login(payload: Record<string, unknown>, ip = randomIp()) {
  return api.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload, remoteAddress: ip })
}

describe('POST /api/v1/auth/register-organization', () => {
  it('creates tenant, user and Admin membership and answers 201 {tenant, user, token}', async () => {
    const email = uniqueEmail('founder')
    const name = `Acme ${randomUUID().slice(0, 6)}`
    const response = await register({ organization_name: name, admin_email: email, admin_password: PASSWORD, admin_name: 'Ada Founder' })
    expect(response.statusCode).toBe(201)
    const body = response.json()
    expect(body).toMatchObject({
      tenant: { id: expect.any(String), slug: expect.any(String), name, status: 'active', plan: 'basic' },
      user: { id: expect.any(String), email, name: 'Ada Founder', is_platform_admin: false },
      token: expect.any(String),
    })
    const claims = decodeJwt(body.token)
    expect(claims).toMatchObject({ sub: body.user.id, tid: body.tenant.id })

    const [tenant] = await ownerQuery<{ status: string; name: string }>('select status, name from tenants where id = $1', [body.tenant.id])
    expect(tenant).toEqual({ status: 'active', name })
    const [user] = await ownerQuery<{ email: string; default_tenant_id: string; password_hash: string }>(
      'select email, default_tenant_id, password_hash from users where id = $1',
      [body.user.id],
    )
    expect(user).toMatchObject({ email, default_tenant_id: body.tenant.id })
    expect(user!.password_hash.startsWith(ARGON2ID_PREFIX)).toBe(true)
    const memberships = await ownerQuery<{ tenant_id: string; status: string; role: string }>(
      'select tu.tenant_id, tu.status, r.name as role from tenant_users tu join roles r on r.id = tu.role_id where tu.user_id = $1',
      [body.user.id],
    )
    expect(memberships).toEqual([{ tenant_id: body.tenant.id, status: 'active', role: 'Admin' }])

    // The token works at once, as an Admin of the new tenant.
    const members = await api.app.inject({ url: '/api/v1/members', headers: bearer(body.token) })
    expect(members.statusCode).toBe(200)
    expect(members.json().data).toEqual([expect.objectContaining({ user_id: body.user.id, role: 'Admin', status: 'active' })])
  })

  it('answers 403 signup_disabled when SIGNUP_ENABLED=false, and creates nothing', async () => {
    const closed = await createTestApi({ SIGNUP_ENABLED: 'false' })
    try {
      const email = uniqueEmail('closed')
      const name = `Closed ${randomUUID().slice(0, 6)}`
      const response = await register({ organization_name: name, admin_email: email, admin_password: PASSWORD }, closed)
      expect(response.statusCode).toBe(403)
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(response.json()).toMatchObject({ code: 'signup_disabled', status: 403 })
      const { rows } = await closed.testDb.db.withOwnerSession((s) =>
        s.query<{ n: number }>('select (select count(*) from tenants where name = $1)::int + (select count(*) from users where email = $2)::int as n', [name, email]),
      )
      expect(rows[0]!.n).toBe(0)
    } finally {
      await closed.close()
    }
  })

  it('answers 409 already_exists for a taken email and leaves no tenant behind (one transaction)', async () => {
    const first = await api.signUp()
    const tenantsBefore = (await ownerQuery<{ n: number }>('select count(*)::int as n from tenants'))[0]!.n
    const slug = `dup-${randomUUID().slice(0, 8)}`
    const name = `Second ${randomUUID().slice(0, 6)}`
    // The same address in another case is the same account.
    const response = await register({ organization_name: name, slug, admin_email: first.email.toUpperCase(), admin_password: PASSWORD })
    expect(response.statusCode).toBe(409)
    expect(response.json()).toMatchObject({ code: 'already_exists', status: 409 })

    expect(await ownerQuery('select id from tenants where slug = $1 or name = $2', [slug, name])).toEqual([])
    expect((await ownerQuery<{ n: number }>('select count(*)::int as n from tenants'))[0]!.n).toBe(tenantsBefore)
    expect(await ownerQuery('select 1 from tenant_configurations tc join tenants t on t.id = tc.tenant_id where t.slug = $1', [slug])).toEqual([])
    // The existing account is untouched: one membership, same default tenant.
    const memberships = await ownerQuery<{ tenant_id: string }>('select tenant_id from tenant_users where user_id = $1', [first.userId])
    expect(memberships).toEqual([{ tenant_id: first.tenantId }])
    // The slug is still free: the failed attempt did not reserve it.
    const retry = await register({ organization_name: name, slug, admin_email: uniqueEmail('retry'), admin_password: PASSWORD })
    expect(retry.statusCode).toBe(201)
    expect(retry.json().tenant.slug).toBe(slug)
  })

  it.each([
    ['too short', 'short'],
    ['over 256 bytes (129 characters: passes the schema, fails the byte limit)', `a${'é'.repeat(128)}`],
    ['over 256 characters', 'a'.repeat(257)],
  ])('refuses a weak password (%s) with 400 and creates nothing', async (_label, password) => {
    const email = uniqueEmail('weak')
    const name = `Weak ${randomUUID().slice(0, 6)}`
    const response = await register({ organization_name: name, admin_email: email, admin_password: password })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toMatchObject({ code: 'validation_failed', status: 400 })
    expect(await ownerQuery('select id from tenants where name = $1', [name])).toEqual([])
    expect(await ownerQuery('select id from users where email = $1', [email])).toEqual([])
  })
})

describe('passwords: argon2id, 256 bytes, never truncated, legacy bcrypt', () => {
  it('stores argon2id with m=19456, t=2, p=1', async () => {
    const { userId } = await api.signUp()
    const [row] = await ownerQuery<{ password_hash: string }>('select password_hash from users where id = $1', [userId])
    expect(row!.password_hash.startsWith(ARGON2ID_PREFIX)).toBe(true)
  })

  it('accepts a 256-byte password and does not truncate it', async () => {
    // Uppercase, lowercase, a digit and a symbol: the basic plan's composition rules.
    const password = `${'P'.repeat(252)}a1!z`
    expect(bytes(password)).toBe(256)
    const email = uniqueEmail('long')
    expect((await register({ organization_name: 'Long password', admin_email: email, admin_password: password })).statusCode).toBe(201)

    expect((await login({ email, password })).statusCode).toBe(200)
    const prefix = password.slice(0, 255)
    const prefixAttempt = await login({ email, password: prefix })
    expect(prefixAttempt.statusCode).toBe(401)
    expect(prefixAttempt.json().code).toBe('invalid_credentials')
    // Differs only in the last byte; and bcrypt's 72-byte horizon means nothing here.
    expect((await login({ email, password: `${'P'.repeat(252)}a1!y` })).statusCode).toBe(401)
    expect((await login({ email, password: `${'P'.repeat(72)}` })).statusCode).toBe(401)
  })

  it('accepts 256 bytes of multi-byte characters (a limit in bytes, not characters)', async () => {
    const password = `É1!${'é'.repeat(126)}`
    expect(bytes(password)).toBe(256)
    const email = uniqueEmail('utf8')
    expect((await register({ organization_name: 'UTF-8 password', admin_email: email, admin_password: password })).statusCode).toBe(201)
    expect((await login({ email, password })).statusCode).toBe(200)
    expect((await login({ email, password: `É1!${'é'.repeat(125)}` })).statusCode).toBe(401)
  })

  it('verifies a legacy bcrypt hash and re-hashes it to argon2id at the next login', async () => {
    const { userId, email } = await api.signUp()
    const legacyPassword = 'legacy-password-from-the-old-system'
    await ownerQuery('update users set password_hash = $2 where id = $1', [userId, bcrypt.hashSync(legacyPassword, 10)])

    // A wrong password does not upgrade anything.
    expect((await login({ email, password: 'not-the-legacy-password' })).statusCode).toBe(401)
    expect((await ownerQuery<{ password_hash: string }>('select password_hash from users where id = $1', [userId]))[0]!.password_hash).toMatch(/^\$2[aby]\$10\$/)

    const response = await login({ email, password: legacyPassword })
    expect(response.statusCode).toBe(200)
    expect(decodeJwt(response.json().token).sub).toBe(userId)
    const [after] = await ownerQuery<{ password_hash: string; last_login_at: Date | null }>('select password_hash, last_login_at from users where id = $1', [userId])
    expect(after!.password_hash.startsWith(ARGON2ID_PREFIX)).toBe(true)
    expect(after!.last_login_at).not.toBeNull()

    // The upgraded hash verifies the same password, and only it.
    expect((await login({ email, password: legacyPassword })).statusCode).toBe(200)
    expect((await login({ email, password: PASSWORD })).statusCode).toBe(401)
  })

  it('treats the email case-insensitively at login', async () => {
    const { email, userId } = await api.signUp()
    const response = await login({ email: `  ${email.toUpperCase()}`.trim(), password: PASSWORD })
    expect(response.statusCode).toBe(200)
    expect(response.json().user.id).toBe(userId)
  })
})

describe('login: the tenant', () => {
  let home: Awaited<ReturnType<TestApi['signUp']>>
  let other: Awaited<ReturnType<TestApi['signUp']>>
  let stranger: Awaited<ReturnType<TestApi['signUp']>>

  beforeAll(async () => {
    home = await api.signUp()
    other = await api.signUp()
    stranger = await api.signUp()
    // `home`'s admin joins `other` as a Manager (an existing user joins without a password).
    const added = await api.app.inject({ method: 'POST', url: '/api/v1/members', headers: bearer(other.token), payload: { email: home.email, role: 'Manager' } })
    expect(added.statusCode).toBe(201)
    expect(added.json().member).toMatchObject({ user_id: home.userId, status: 'active', role: 'Manager' })
  })

  it('binds the token to the tenant named by slug or by id', async () => {
    for (const ref of [other.slug, other.tenantId, other.slug.toUpperCase()]) {
      const response = await login({ email: home.email, password: PASSWORD, tenant: ref })
      expect(response.statusCode, ref).toBe(200)
      const body = response.json()
      expect(decodeJwt(body.token).tid).toBe(other.tenantId)
      expect(body).toMatchObject({ tenant: { id: other.tenantId, slug: other.slug }, role: 'Manager', token_type: 'Bearer' })
      expect(body.permissions).toContain('users:read')
      expect(body.permissions).not.toContain('users:write')
    }
  })

  it('without a tenant, uses the default (first) membership', async () => {
    const response = await login({ email: home.email, password: PASSWORD })
    expect(response.statusCode).toBe(200)
    expect(decodeJwt(response.json().token).tid).toBe(home.tenantId)
    expect(response.json()).toMatchObject({ tenant: { id: home.tenantId }, role: 'Admin' })
  })

  it('answers the same 403 tenant_access_denied for a tenant the user is not in and for an unknown one', async () => {
    const notMember = await login({ email: home.email, password: PASSWORD, tenant: stranger.slug })
    const notMemberById = await login({ email: home.email, password: PASSWORD, tenant: stranger.tenantId })
    const unknownSlug = await login({ email: home.email, password: PASSWORD, tenant: `nope-${randomUUID().slice(0, 8)}` })
    const unknownId = await login({ email: home.email, password: PASSWORD, tenant: randomUUID() })
    const strip = (body: Record<string, unknown>) => ({ ...body, instance: undefined, request_id: undefined })
    const reference = notMember.json()
    expect(notMember.statusCode).toBe(403)
    expect(reference).toMatchObject({ code: 'tenant_access_denied', status: 403 })
    expect(reference).not.toHaveProperty('token')
    for (const response of [notMemberById, unknownSlug, unknownId]) {
      expect(response.statusCode).toBe(403)
      expect(strip(response.json())).toEqual(strip(reference))
      expect(Object.keys(response.headers).sort()).toEqual(Object.keys(notMember.headers).sort())
    }
  })

  // DESIGN §7: "Without `tenant`, a token for the user's only or default membership".
  // Bug: removing a user from their default tenant clears users.default_tenant_id
  // (members.service.ts remove → users.clearDefaultTenant) and nothing picks the remaining
  // membership, so auth.service.ts loginTenant answers 403 tenant_required for a user who
  // still has exactly one membership.
  it('without a tenant, still finds the only membership left after leaving the default tenant', async () => {
    const owner = await api.signUp()
    const { userId, email } = await api.addMember(owner.token, 'Analyst')
    const second = await api.signUp()
    const joined = await api.app.inject({ method: 'POST', url: '/api/v1/members', headers: bearer(second.token), payload: { email, role: 'Analyst' } })
    expect(joined.statusCode).toBe(201)
    const removed = await api.app.inject({ method: 'DELETE', url: `/api/v1/members/${userId}`, headers: bearer(owner.token) })
    expect(removed.statusCode).toBe(204)

    const response = await login({ email, password: PASSWORD })
    expect(response.statusCode).toBe(200)
    expect(decodeJwt(response.json().token).tid).toBe(second.tenantId)
  })
})

describe('login: session timeout from the tenant configuration', () => {
  it('caps the token lifetime at settings.limits.session_timeout_minutes', async () => {
    const { tenantId, email } = await api.signUp()
    const before = decodeJwt((await login({ email, password: PASSWORD })).json().token)
    expect(before.exp! - before.iat!).toBe(3600) // JWT_EXPIRY 24h, the basic plan's 1 h

    const patched = await api.app.inject({
      method: 'PATCH',
      url: `/api/v1/tenants/${tenantId}`,
      headers: api.operator,
      payload: { settings: { limits: { session_timeout_minutes: 30 } } },
    })
    expect(patched.statusCode).toBe(200)
    expect(patched.json().configuration.limits.session_timeout_minutes).toBe(30)

    const response = await login({ email, password: PASSWORD, tenant: tenantId })
    expect(response.statusCode).toBe(200)
    const claims = decodeJwt(response.json().token)
    expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(1800)
    expect(claims.exp! - claims.iat!).toBeGreaterThan(0)
    const expiresAt = Date.parse(response.json().expires_at)
    expect(expiresAt).toBe(claims.exp! * 1000)
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(1800 * 1000)
    // Without naming the tenant (the default one) the same cap applies.
    const implicit = decodeJwt((await login({ email, password: PASSWORD })).json().token)
    expect(implicit.exp! - implicit.iat!).toBeLessThanOrEqual(1800)
  })
})

describe('GET /api/v1/auth/me', () => {
  it('names what the credential is: a user token, a tenant API key, or SUPER_ADMIN_KEY', async () => {
    const org = await api.signUp()
    const asUser = await api.app.inject({ url: '/api/v1/auth/me', headers: bearer(org.token) })
    expect(asUser.statusCode).toBe(200)
    expect(asUser.json()).toEqual({ kind: 'user', user: { id: org.userId, email: org.email, is_platform_admin: false }, api_key: null, token_tenant_id: org.tenantId })

    const created = await api.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: bearer(org.token), payload: { name: 'me', role: 'Analyst' } })
    expect(created.statusCode, created.body).toBe(201)
    const asKey = await api.app.inject({ url: '/api/v1/auth/me', headers: bearer(created.json().key) })
    expect(asKey.statusCode).toBe(200)
    // A tenant's key is no platform admin, and it binds its tenant.
    expect(asKey.json()).toEqual({ kind: 'api_key', user: null, api_key: { id: created.json().id, tenant_id: org.tenantId }, token_tenant_id: org.tenantId })

    const asOperator = await api.app.inject({ url: '/api/v1/auth/me', headers: api.operator })
    expect(asOperator.json()).toEqual({ kind: 'super_admin', user: null, api_key: null, token_tenant_id: null })
  })
})
