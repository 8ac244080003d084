// Permission denials (DESIGN §8, §12): 403 permission_denied naming the permission, a row in
// rbac_audit_log (when RBAC_AUDIT_LOGGING), rbac_denied_total, and GET /api/v1/audit-logs/rbac.
import { randomUUID } from 'node:crypto'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.ts'
import type { Database } from '../src/db/index.ts'
import access from '../src/modules/access/access.plugin.ts'
import requestContext from '../src/http/request-context.plugin.ts'
import { RbacService } from '../src/modules/rbac/index.ts'
import { renderMetrics, sampleValue } from '../src/observability/metrics.ts'
import { createServices } from '../src/services.ts'
import { bearer, createTestApi, type TestApi } from './support/api.ts'
import { captureLogs } from './support/log-capture.ts'

let api: TestApi
let org: Awaited<ReturnType<TestApi['signUp']>>
let analyst: { userId: string; token: string }

beforeAll(async () => {
  api = await createTestApi()
  org = await api.signUp()
  analyst = await api.addMember(org.token, 'Analyst')
})
afterAll(async () => {
  await api?.close()
})

type Json = Record<string, unknown>
const get = (app: TestApi['app'], token: string, url: string) => app.inject({ url, headers: bearer(token) })
const deniedCount = async (permission: string) => {
  const [resource, action] = permission.split(':') as [string, string]
  return sampleValue(await renderMetrics(), 'rbac_denied_total', { permission, resource, action })
}
async function ownerQuery<Row = Json>(api: TestApi, sql: string, params: unknown[] = []): Promise<Row[]> {
  const { rows } = await api.testDb.db.withOwnerSession((session) => session.query<Row>(sql, params))
  return rows
}

describe('a denial', () => {
  it('is 403 permission_denied naming the permission, logged with its fields, and counted', async () => {
    const before = await deniedCount('users:read')
    const started = Date.now()
    const response = await get(api.app, analyst.token, '/api/v1/members?limit=5')
    expect(response.statusCode).toBe(403)
    expect(response.json()).toMatchObject({ code: 'permission_denied', permission: 'users:read' })
    expect(await deniedCount('users:read')).toBe(before + 1)

    const rows = await ownerQuery<Json & { created_at: Date }>(api, 'select * from rbac_audit_log where tenant_id = $1 and request_id = $2', [org.tenantId, response.headers['x-request-id']])
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({
      tenant_id: org.tenantId, user_id: analyst.userId, api_key_id: null, permission: 'users:read', resource: 'users', action: 'read',
      result: 'denied', route: '/api/v1/members', method: 'GET',
    })
    expect(rows[0]!.created_at.getTime()).toBeGreaterThanOrEqual(started - 5000)
  })

  it('by an API key is logged with the key, not a user', async () => {
    const created = await api.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: bearer(org.token), payload: { name: 'reader', permissions: ['inventory:read'] } })
    expect(created.statusCode).toBe(201)
    const { id, key } = created.json()
    const response = await get(api.app, key, '/api/v1/members')
    expect(response.json()).toMatchObject({ code: 'permission_denied', permission: 'users:read' })
    const rows = await ownerQuery(api, 'select user_id, api_key_id, tenant_id from rbac_audit_log where request_id = $1', [response.headers['x-request-id']])
    expect(rows).toEqual([{ user_id: null, api_key_id: id, tenant_id: org.tenantId }])
    expect((await get(api.app, org.token, `/api/v1/audit-logs/rbac?api_key_id=${id}`)).json().data).toHaveLength(1)
  })

  it('names the route template, not the URL, and splits resource and action', async () => {
    const response = await api.app.inject({ method: 'DELETE', url: `/api/v1/roles/${randomUUID()}`, headers: bearer(analyst.token) })
    expect(response.json()).toMatchObject({ code: 'permission_denied', permission: 'roles:write' })
    const rows = await ownerQuery(api, 'select route, method, resource, action from rbac_audit_log where request_id = $1', [response.headers['x-request-id']])
    expect(rows).toEqual([{ route: '/api/v1/roles/:id', method: 'DELETE', resource: 'roles', action: 'write' }])
  })
})

describe('GET /api/v1/audit-logs/rbac', () => {
  const list = (token: string, query = '') => get(api.app, token, `/api/v1/audit-logs/rbac${query}`)

  it('shows denials (?result=denied) to audit:read holders, newest first, filtered by permission, user and time', async () => {
    const denied = await get(api.app, analyst.token, '/api/v1/config')
    expect(denied.json().permission).toBe('settings:read')
    const requestId = denied.headers['x-request-id']

    for (const token of [org.token, (await api.addMember(org.token, 'Auditor')).token]) {
      const response = await list(token, '?result=denied')
      expect(response.statusCode).toBe(200)
      const first = response.json().data[0]
      expect(first).toMatchObject({ request_id: requestId, user_id: analyst.userId, permission: 'settings:read', resource: 'settings', action: 'read', result: 'denied', route: '/api/v1/config', method: 'GET' })
      expect(Date.parse(first.created_at)).not.toBeNaN()
    }
    const byPermission = (await list(org.token, '?permission=settings:read')).json().data
    expect(byPermission.length).toBeGreaterThan(0)
    expect(byPermission.every((row: { permission: string }) => row.permission === 'settings:read')).toBe(true)
    expect((await list(org.token, `?user_id=${org.userId}`)).json().data).toEqual([])
    expect((await list(org.token, `?user_id=${analyst.userId}`)).json().data.length).toBeGreaterThan(0)
    expect((await list(org.token, '?result=allowed')).json().data).toEqual([])
    const future = new Date(Date.now() + 3_600_000).toISOString()
    expect((await list(org.token, `?from=${encodeURIComponent(future)}`)).json().data).toEqual([])
    expect((await list(org.token, `?to=${encodeURIComponent(future)}`)).json().data.length).toBeGreaterThan(0)
    expect((await list(org.token, '?result=maybe')).statusCode).toBe(400)
    expect((await list(org.token, '?from=yesterday')).statusCode).toBe(400)
  })

  it('pages with a cursor without skipping or repeating', async () => {
    const tenant = await api.signUp()
    const member = await api.addMember(tenant.token, 'Analyst')
    for (let index = 0; index < 5; index++) await get(api.app, member.token, '/api/v1/roles')
    const ids: string[] = []
    let cursor: string | null = null
    do {
      const body: { data: { id: string }[]; next_cursor: string | null } = (await list(tenant.token, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json()
      ids.push(...body.data.map((row) => row.id))
      cursor = body.next_cursor
    } while (cursor)
    expect(ids).toHaveLength(5)
    expect(new Set(ids).size).toBe(5)
  })

  it('needs audit:read (a Manager is refused, and that refusal is logged too)', async () => {
    const manager = await api.addMember(org.token, 'Manager')
    const response = await list(manager.token)
    expect(response.json()).toMatchObject({ code: 'permission_denied', permission: 'audit:read' })
    expect((await list(org.token, '?permission=audit:read')).json().data[0]).toMatchObject({ user_id: manager.userId, route: '/api/v1/audit-logs/rbac' })
  })

  it("shows only this tenant's decisions", async () => {
    const other = await api.signUp()
    expect((await list(other.token)).json().data).toEqual([])
  })
})

describe('switches and failures', () => {
  it('RBAC_AUDIT_LOGGING=false writes nothing; RBAC_METRICS_ENABLED=false counts nothing; still 403', async () => {
    const quiet = await createTestApi({ RBAC_AUDIT_LOGGING: 'false', RBAC_METRICS_ENABLED: 'false' })
    try {
      const tenant = await quiet.signUp()
      const member = await quiet.addMember(tenant.token, 'Analyst')
      const before = await deniedCount('audit:read')
      const response = await quiet.app.inject({ url: '/api/v1/audit-logs/rbac', headers: bearer(member.token) })
      expect(response.json()).toMatchObject({ code: 'permission_denied', permission: 'audit:read' })
      expect(await ownerQuery(quiet, 'select 1 from rbac_audit_log')).toEqual([])
      expect(await deniedCount('audit:read')).toBe(before)
    } finally {
      await quiet.close()
    }
  })

  it('a decision log that cannot be written leaves the answer a 403 and logs the failure', async () => {
    const logs = captureLogs()
    const { db, config } = api.testDb
    // The same database, except that the one-statement path (the decision insert) fails.
    const broken = new Proxy(db, {
      get: (target, property, receiver) =>
        property === 'tenantStatement' ? () => Promise.reject(new Error('database went away')) : Reflect.get(target, property, receiver),
    }) as Database
    const services = createServices({ config, db, logger: logs.logger })
    services.rbac = new RbacService(broken, services.bus, config)
    const app = await buildApp({ config, db, services, logger: logs.logger })
    try {
      const response = await get(app, analyst.token, '/api/v1/members')
      expect(response.statusCode).toBe(403)
      expect(response.json()).toMatchObject({ code: 'permission_denied', permission: 'users:read' })
      expect(await ownerQuery(api, 'select 1 from rbac_audit_log where request_id = $1', [response.headers['x-request-id']])).toEqual([])
      expect(logs.lines().some((line) => line.msg === 'could not write the RBAC decision log' && line.level === 50)).toBe(true)
    } finally {
      await app.close()
    }
  })
})

describe('route declarations', () => {
  async function bareApp() {
    const app = Fastify()
    await app.register(requestContext)
    await app.register(access, { config: api.testDb.config, authenticator: api.services.authenticator, directory: api.services.directory })
    return app
  }

  it('a tenant route without a permission stops the app from starting', async () => {
    const app = await bareApp()
    await expect(async () => {
      app.get('/api/v1/unguarded', { config: { access: 'tenant' } }, async () => ({}))
      await app.ready()
    }).rejects.toThrow(/tenant route GET \/api\/v1\/unguarded declares no permission/)
    await app.close().catch(() => undefined)
  })

  it('an /api route without any access declaration too; a declared one registers', async () => {
    const app = await bareApp()
    await expect(async () => {
      app.post('/api/v1/undeclared', async () => ({}))
      await app.ready()
    }).rejects.toThrow(/declares no access/)
    await app.close().catch(() => undefined)

    const fine = await bareApp()
    fine.get('/api/v1/guarded', { config: { access: 'tenant', permission: 'inventory:read' } }, async () => ({}))
    await fine.ready()
    await fine.close()
  })
})
