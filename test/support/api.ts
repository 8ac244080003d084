// An app on a fresh test database, with helpers that go through the real HTTP API.
import type { Redis } from 'ioredis'
import { buildApp, type App } from '../../src/app.ts'
import type { Logger } from '../../src/observability/logger.ts'
import type { ResolveTxt } from '../../src/modules/tenants/index.ts'
import { createServices, type Services } from '../../src/services.ts'
import { createTestDatabase, type TestDatabase } from './test-database.ts'
import { testRedis } from './test-env.ts'

export const SUPER_ADMIN_KEY = 'test-super-admin-key-0123456789abcdef0123456789'
export const JWT_SECRET = 'test-jwt-secret-0123456789abcdef0123456789abcdef'
export const PASSWORD = 'Correct horse battery staple 1'

export interface TestApi {
  app: App
  services: Services
  testDb: TestDatabase
  close(): Promise<void>
  /** Headers for the platform operator (SUPER_ADMIN_KEY). */
  operator: Record<string, string>
  createTenant(body?: Record<string, unknown>): Promise<{ id: string; slug: string; [key: string]: unknown }>
  /** Creates a tenant with an Admin (through sign-up) and returns their token. */
  signUp(name?: string): Promise<{ tenantId: string; slug: string; userId: string; token: string; email: string }>
  login(email: string, password?: string, tenant?: string): Promise<string>
  /** Adds a member with a password and returns their id and token. */
  addMember(adminToken: string, role: string, email?: string): Promise<{ userId: string; token: string; email: string }>
}

let counter = 0
const unique = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`

export async function createTestApi(overrides: Record<string, string> = {}, options: { redis?: Redis; logger?: Logger; resolveTxt?: ResolveTxt } = {}): Promise<TestApi> {
  // Suites send bursts from a handful of callers: request limits ×1000 keep them clear of 429s while
  // the limiter still runs on every request (its own tests set RATE_LIMIT_MULTIPLIER back to 1).
  const testDb = await createTestDatabase({ SUPER_ADMIN_KEY, JWT_SECRET, SIGNUP_ENABLED: 'true', RATE_LIMIT_MULTIPLIER: '1000', ...overrides })
  const services = createServices({ config: testDb.config, db: testDb.db, redis: options.redis, logger: options.logger, resolveTxt: options.resolveTxt })
  const app = await buildApp({ config: testDb.config, db: testDb.db, services, redis: options.redis, logger: options.logger })
  await app.ready()
  const operator = { authorization: `Bearer ${SUPER_ADMIN_KEY}` }

  const api: TestApi = {
    app,
    services,
    testDb,
    operator,
    close: async () => {
      await app.close()
      await testDb.close()
    },
    async createTenant(body = {}) {
      const response = await app.inject({ method: 'POST', url: '/api/v1/tenants', headers: operator, payload: { name: unique('Tenant'), ...body } })
      if (response.statusCode !== 201) throw new Error(`createTenant: ${response.statusCode} ${response.body}`)
      return response.json()
    },
    async signUp(name = unique('Org')) {
      const email = `${unique('admin')}@example.test`
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/register-organization',
        payload: { organization_name: name, admin_email: email, admin_password: PASSWORD },
      })
      if (response.statusCode !== 201) throw new Error(`signUp: ${response.statusCode} ${response.body}`)
      const body = response.json()
      return { tenantId: body.tenant.id, slug: body.tenant.slug, userId: body.user.id, token: body.token, email }
    },
    async login(email, password = PASSWORD, tenant) {
      const response = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password, ...(tenant ? { tenant } : {}) } })
      if (response.statusCode !== 200) throw new Error(`login: ${response.statusCode} ${response.body}`)
      return response.json().token
    },
    async addMember(adminToken, role, email = `${unique('member')}@example.test`) {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/members',
        headers: { authorization: `Bearer ${adminToken}` },
        payload: { email, password: PASSWORD, role },
      })
      if (response.statusCode !== 201) throw new Error(`addMember: ${response.statusCode} ${response.body}`)
      const userId = response.json().member.user_id
      const tenantId = JSON.parse(Buffer.from(adminToken.split('.')[1]!, 'base64url').toString()).tid
      return { userId, email, token: await api.login(email, PASSWORD, tenantId) }
    },
  }
  return api
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

export type TestApiOnRedis = TestApi & { redis: Redis | undefined }

/** createTestApi on the suite's Redis when REDIS_URL is set (else in-process); close() disconnects it too. */
export async function createTestApiOnRedis(overrides: Record<string, string> = {}): Promise<TestApiOnRedis> {
  const redis = testRedis()
  const api = await createTestApi(overrides, { redis })
  const closeApi = api.close
  return Object.assign(api, {
    redis,
    close: async () => {
      await closeApi()
      redis?.disconnect()
    },
  })
}

export interface SecondInstance {
  app: App
  services: Services
  close(): Promise<void>
}

/** Another app instance on the same PostgreSQL database with its own Redis client (PostgreSQL + Redis only). */
export async function secondInstance(api: TestApi): Promise<SecondInstance> {
  const db = await api.testDb.reopen()
  const redis = testRedis()!
  const services = createServices({ config: api.testDb.config, db, redis })
  const app = await buildApp({ config: api.testDb.config, db, redis, services })
  await app.ready()
  return {
    app,
    services,
    close: async () => {
      await app.close()
      redis.disconnect()
    },
  }
}
