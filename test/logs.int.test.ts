// Structured logs (DESIGN §12): one JSON line per request with request_id, tenant_id, actor,
// route, status and duration; no secret or token anywhere in the log of a representative flow
// captured at the most verbose level; the security event stream under its own logger name.
import { randomBytes, randomUUID } from 'node:crypto'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp, type App } from '../src/app.ts'
import { createLogger } from '../src/observability/logger.ts'
import { SECURITY_LOGGER_NAME } from '../src/observability/security-log.ts'
import { createServices } from '../src/services.ts'
import { bearer, JWT_SECRET, SUPER_ADMIN_KEY } from './support/api.ts'
import { createTestDatabase, type TestDatabase } from './support/test-database.ts'

type Line = Record<string, any>

const MASTER_KEY = randomBytes(32).toString('base64')
const METRICS_TOKEN = `metrics-${randomUUID()}`
const operator = bearer(SUPER_ADMIN_KEY)
/** Every credential the flow uses or receives: none may appear in the log, in any line. */
const secrets = new Set<string>([SUPER_ADMIN_KEY, JWT_SECRET, MASTER_KEY, METRICS_TOKEN])
const secret = (label: string) => {
  const value = `${label}-${randomBytes(9).toString('base64url')}`
  secrets.add(value)
  return value
}
/** A received token: the whole and its signature or secret part (a log could cut it up). */
const received = (token: string) => {
  secrets.add(token)
  const tail = token.split(/[._]/).at(-1)!
  if (tail.length >= 20) secrets.add(tail)
  return token
}

const chunks: string[] = []
const text = () => chunks.join('')
const lines = (): Line[] => text().split('\n').filter(Boolean).map((line) => JSON.parse(line))
const security = (event: string) => lines().filter((line) => line.name === SECURITY_LOGGER_NAME && line.event === event)

let testDb: TestDatabase
let app: App
const flow = {} as {
  tenantId: string
  adminId: string
  adminToken: string
  memberId: string
  memberEmail: string
  analystToken: string
  apiKeyId: string
  deniedRequestId: string
}

beforeAll(async () => {
  testDb = await createTestDatabase({ SUPER_ADMIN_KEY, JWT_SECRET, SIGNUP_ENABLED: 'true', MASTER_KEY, METRICS_TOKEN })
  // `trace`: more verbose than anything production runs at (LOG_LEVEL=info by default).
  const logger = createLogger({ LOG_LEVEL: 'trace', LOG_FORMAT: 'json' }, new Writable({ write: (chunk, _encoding, done) => (chunks.push(chunk.toString()), done()) }))
  const services = createServices({ config: testDb.config, db: testDb.db, logger })
  app = await buildApp({ config: testDb.config, db: testDb.db, services, logger })
  await app.ready()
  await runFlow()
}, 120_000)
afterAll(async () => {
  await app?.close()
  await testDb?.close()
})

const call = async (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, headers: Record<string, string> = {}, payload?: object) =>
  app.inject({ method, url, headers, ...(payload ? { payload } : {}) })
const ok = async (promise: ReturnType<typeof call>, status = 200) => {
  const response = await promise
  expect(response.statusCode, response.body).toBe(status)
  return response.json()
}

async function runFlow(): Promise<void> {
  // Sign-up and login: passwords in, JWTs out.
  const adminEmail = `admin-${randomUUID()}@example.test`
  const adminPassword = secret('Admin-password-1')
  const signedUp = await ok(call('POST', '/api/v1/auth/register-organization', {}, { organization_name: 'Log Co', admin_email: adminEmail, admin_password: adminPassword }), 201)
  received(signedUp.token)
  flow.tenantId = signedUp.tenant.id
  flow.adminId = signedUp.user.id
  await ok(call('POST', `/api/v1/tenants/${flow.tenantId}/migrate`, operator, { targetPlan: 'premium' }))
  flow.adminToken = received((await ok(call('POST', '/api/v1/auth/login', {}, { email: adminEmail, password: adminPassword }))).token)
  const admin = bearer(flow.adminToken)

  // A member with a password, one invited with a token, and wrong passwords until a lockout.
  flow.memberEmail = `member-${randomUUID()}@example.test`
  const memberPassword = secret('Member-password-1')
  flow.memberId = (await ok(call('POST', '/api/v1/members', admin, { email: flow.memberEmail, password: memberPassword, role: 'Analyst' }), 201)).member.user_id
  flow.analystToken = received((await ok(call('POST', '/api/v1/auth/login', {}, { email: flow.memberEmail, password: memberPassword }))).token)
  const invited = await ok(call('POST', '/api/v1/members', admin, { email: `invitee-${randomUUID()}@example.test`, role: 'Analyst' }), 201)
  received(invited.invitation_token)
  received((await ok(call('POST', '/api/v1/auth/accept-invite', {}, { token: invited.invitation_token, password: secret('Invitee-password-1') }))).token)
  for (let attempt = 0; attempt < 6; attempt++) {
    const response = await call('POST', '/api/v1/auth/login', {}, { email: flow.memberEmail, password: secret('wrong-password') })
    expect(response.statusCode).toBe(attempt < 5 ? 401 : 429)
  }
  expect((await call('POST', '/api/v1/auth/login', {}, { email: `nobody-${randomUUID()}@example.test`, password: secret('unknown-account-password') })).statusCode).toBe(401)

  // An API key: created (shown once), used, revoked.
  const key = await ok(call('POST', '/api/v1/api-keys', admin, { name: 'sync', role: 'Analyst' }), 201)
  received(key.key)
  flow.apiKeyId = key.id
  await ok(call('GET', '/api/v1/inventory', bearer(key.key)))
  await ok(call('GET', '/api/v1/inventory', { 'x-api-key': key.key, ...admin }))
  expect((await call('DELETE', `/api/v1/api-keys/${key.id}`, admin)).statusCode).toBe(204)
  expect((await call('GET', '/api/v1/inventory', bearer(key.key))).statusCode).toBe(401)

  // A webhook: its signing secret comes back once, then again at rotation; a header value too.
  const webhook = await ok(call('POST', '/api/v1/webhooks', admin, { name: 'Receiver', url: 'http://127.0.0.1:9/hook', events: ['*'], headers: { 'X-Receiver-Token': secret('webhook-header') } }), 201)
  received(webhook.secret)
  received((await ok(call('POST', `/api/v1/webhooks/${webhook.id}/rotate-secret`, admin))).secret)

  // A tenant configuration secret: stored encrypted, revealed once.
  const configSecret = secret('smtp-password')
  await ok(call('PUT', '/api/v1/config/smtp.password', admin, { value: configSecret, encrypted: true }))
  expect((await ok(call('GET', '/api/v1/config/smtp.password?reveal=true', admin))).value).toBe(configSecret)

  // Credentials where they do not belong: a query string, a malformed header, a wrong token.
  await call('GET', `/api/v1/inventory?token=${flow.adminToken}`, admin)
  await call('GET', `/nowhere?access_token=${flow.adminToken}`)
  await call('GET', '/api/v1/inventory', { authorization: `Basic ${Buffer.from(`${adminEmail}:${adminPassword}`).toString('base64')}` })
  await call('GET', '/api/v1/inventory', bearer(`${flow.adminToken}x`))
  await call('GET', '/api/v1/inventory', { cookie: `session=${flow.adminToken}`, ...admin })

  // A permission denial, a suspension and a reactivation by the operator, a metrics scrape.
  const denied = await call('POST', '/api/v1/inventory', bearer(flow.analystToken), { item_code: 'A-1', name: 'Anvil' })
  expect(denied.statusCode).toBe(403)
  flow.deniedRequestId = denied.headers['x-request-id'] as string
  await ok(call('POST', `/api/v1/tenants/${flow.tenantId}/suspend`, operator))
  await ok(call('POST', `/api/v1/tenants/${flow.tenantId}/reactivate`, operator))
  expect((await call('GET', '/metrics', bearer(METRICS_TOKEN))).statusCode).toBe(200)
}

describe('the log of a representative flow', () => {
  it('contains no secret or token, whole or in part', () => {
    expect(lines().length).toBeGreaterThan(40)
    expect(secrets.size).toBeGreaterThan(20)
    const log = text()
    const leaked = [...secrets].filter((value) => log.includes(value))
    expect(leaked).toEqual([])
  })

  it('has one request line per request, with request_id, tenant_id, actor, route template, status and duration', () => {
    const requests = lines().filter((line) => line.msg === 'request completed')
    expect(requests.length).toBeGreaterThan(30)
    for (const line of requests) {
      expect(line).toMatchObject({ request_id: expect.any(String), actor: { kind: expect.any(String) }, method: expect.any(String), route: expect.stringMatching(/^(\/|unmatched$)/), status: expect.any(Number), duration_ms: expect.any(Number) })
      expect(line.route).not.toContain('?')
    }
    const read = requests.find((line) => line.route === '/api/v1/inventory' && line.status === 200 && line.actor.kind === 'user')
    expect(read).toMatchObject({ level: 30, tenant_id: flow.tenantId, actor: { kind: 'user', id: flow.adminId } })
    const byKey = requests.find((line) => line.actor.kind === 'api_key')
    expect(byKey).toMatchObject({ tenant_id: flow.tenantId, actor: { kind: 'api_key', id: flow.apiKeyId } })
    expect(requests.find((line) => line.route === '/api/v1/tenants/:id/suspend')).toMatchObject({ actor: { kind: 'platform' }, status: 200 })
    expect(requests.find((line) => line.route === 'unmatched')).toMatchObject({ status: 404, actor: { kind: 'anonymous' } })
    // Fastify's own per-request lines (raw URL, headers) are replaced by this one.
    expect(lines().filter((line) => line.msg === 'incoming request' || 'req' in line)).toEqual([])
  })
})

describe('the security event stream', () => {
  it('is a logger of its own name; request lines are not in it', () => {
    const stream = lines().filter((line) => line.name === SECURITY_LOGGER_NAME)
    expect(stream.length).toBeGreaterThan(10)
    expect(stream.every((line) => typeof line.event === 'string' && line.msg === line.event)).toBe(true)
    expect(lines().filter((line) => line.msg === 'request completed' && line.name !== undefined)).toEqual([])
  })

  it('records logins: success, wrong password, unknown account, lockout, refusal while locked', () => {
    expect(security('auth.login_succeeded')).toContainEqual(expect.objectContaining({ level: 30, user_id: flow.adminId, tenant_id: flow.tenantId, request_id: expect.any(String), ip: '127.0.0.1' }))
    const failures = security('auth.login_failed')
    expect(failures.filter((line) => line.reason === 'wrong_password' && line.user_id === flow.memberId)).toHaveLength(5)
    expect(failures.filter((line) => line.reason === 'locked')).toHaveLength(1)
    expect(failures.find((line) => line.reason === 'unknown_account')).toMatchObject({ level: 40, ip: '127.0.0.1' })
    expect(failures.find((line) => line.reason === 'unknown_account')).not.toHaveProperty('user_id')
    expect(security('auth.lockout')).toEqual([expect.objectContaining({ level: 40, rules: ['pair'], user_id: flow.memberId, ip: '127.0.0.1' })])
    // The typed email is never in a security line (it could be a pasted password).
    expect(JSON.stringify(lines().filter((line) => line.name === SECURITY_LOGGER_NAME))).not.toContain(flow.memberEmail)
  })

  it('records the permission denial with who, where and what', () => {
    expect(security('rbac.permission_denied')).toContainEqual(expect.objectContaining({
      request_id: flow.deniedRequestId,
      tenant_id: flow.tenantId,
      actor: { kind: 'user', id: flow.memberId },
      permission: 'inventory:write',
      method: 'POST',
      route: '/api/v1/inventory',
    }))
  })

  it('records API key creation and revocation, and tenant suspension and reactivation', () => {
    expect(security('api_key.created')).toEqual([expect.objectContaining({ api_key_id: flow.apiKeyId, tenant_id: flow.tenantId, actor: { kind: 'user', id: flow.adminId }, role: 'Analyst', prefix: expect.stringMatching(/^tnt_/) })])
    expect(security('api_key.revoked')).toEqual([expect.objectContaining({ api_key_id: flow.apiKeyId, tenant_id: flow.tenantId, actor: { kind: 'user', id: flow.adminId } })])
    expect(security('tenant.suspended')).toEqual([expect.objectContaining({ tenant_id: flow.tenantId, actor: { kind: 'platform' } })])
    expect(security('tenant.reactivated')).toEqual([expect.objectContaining({ tenant_id: flow.tenantId, actor: { kind: 'platform' } })])
  })
})
