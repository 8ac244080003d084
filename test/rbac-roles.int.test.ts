// Roles through the HTTP API: the permission catalog, the four read-only system roles, custom
// role CRUD with its refusals, isolation between tenants, and "a role change takes effect on
// the next request" (DESIGN §8). State is checked as the schema owner.
import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.ts'
import { allPermissions, systemRoles } from '../src/modules/rbac/index.ts'
import { createServices } from '../src/services.ts'
import { bearer, createTestApi, type TestApi } from './support/api.ts'
import { redisUrl, serverUrl, testRedis } from './support/test-env.ts'

let api: TestApi
let redis: Redis | undefined
let org: Awaited<ReturnType<TestApi['signUp']>>

beforeAll(async () => {
  redis = testRedis()
  api = await createTestApi({}, { redis })
  org = await api.signUp()
})
afterAll(async () => {
  await api?.close()
  redis?.disconnect()
})

type Json = Record<string, unknown>
const call = (token: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: Json) =>
  api.app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) })
const createRole = (token: string, payload: Json) => call(token, 'POST', '/api/v1/roles', payload)
const uniqueName = (prefix = 'Role') => `${prefix} ${randomUUID().slice(0, 8)}`

async function ownerQuery<Row = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<Row[]> {
  const { rows } = await api.testDb.db.withOwnerSession((session) => session.query<Row>(sql, params))
  return rows
}
const auditActions = async (tenantId: string, resourceId: string) =>
  (await ownerQuery<{ action: string }>('select action from audit_log where tenant_id = $1 and resource_id = $2 order by seq', [tenantId, resourceId])).map((row) => row.action)

describe('catalog and system roles', () => {
  it('GET /permissions lists exactly the 24 of DESIGN §8 with resource and action', async () => {
    const response = await call(org.token, 'GET', '/api/v1/permissions')
    expect(response.statusCode).toBe(200)
    const data = response.json().data as { name: string; resource: string; action: string; description: string }[]
    expect(data.map((permission) => permission.name)).toEqual([...allPermissions])
    expect(data).toHaveLength(24)
    expect(data.find((permission) => permission.name === 'api_keys:write')).toMatchObject({ resource: 'api_keys', action: 'write' })
    expect(data.every((permission) => permission.description.length > 0)).toBe(true)
  })

  it('GET /roles lists the four system roles with their permissions, global and read-only', async () => {
    const response = await call(org.token, 'GET', '/api/v1/roles')
    expect(response.statusCode).toBe(200)
    const system = (response.json().data as { name: string; is_system: boolean; permissions: string[]; member_count: number }[]).filter((role) => role.is_system)
    expect(system.map((role) => role.name).sort()).toEqual(['Admin', 'Analyst', 'Auditor', 'Manager'])
    for (const expected of systemRoles) {
      expect(system.find((role) => role.name === expected.name)!.permissions).toEqual([...expected.permissions].sort())
    }
    expect(system.find((role) => role.name === 'Admin')).toMatchObject({ member_count: 1 })
    expect(system.find((role) => role.name === 'Auditor')!.permissions).toEqual(expect.arrayContaining(['audit:export', 'roles:read', 'users:read']))
  })

  it('refuses to change or delete a system role (403 forbidden), even for an Admin', async () => {
    const admin = (await call(org.token, 'GET', '/api/v1/roles')).json().data.find((role: { name: string }) => role.name === 'Admin')
    for (const response of [
      await call(org.token, 'PATCH', `/api/v1/roles/${admin.id}`, { permissions: ['inventory:read'] }),
      await call(org.token, 'PATCH', `/api/v1/roles/${admin.id}`, { name: 'Boss' }),
      await call(org.token, 'DELETE', `/api/v1/roles/${admin.id}`),
    ]) {
      expect(response.statusCode).toBe(403)
      expect(response.json().code).toBe('forbidden')
    }
    expect((await call(org.token, 'GET', `/api/v1/roles/${admin.id}`)).json()).toMatchObject({ name: 'Admin', is_system: true, permissions: [...allPermissions].sort() })
  })
})

describe('custom roles', () => {
  it('create, read, list, rename, replace permissions, delete — each audited', async () => {
    const name = uniqueName('Stock')
    const created = await createRole(org.token, { name, description: 'stock keepers', permissions: ['inventory:write', 'inventory:read', 'inventory:read'] })
    expect(created.statusCode).toBe(201)
    const role = created.json()
    expect(role).toMatchObject({ name, description: 'stock keepers', is_system: false, permissions: ['inventory:read', 'inventory:write'], member_count: 0 })

    expect((await call(org.token, 'GET', `/api/v1/roles/${role.id}`)).json()).toMatchObject({ id: role.id, name })
    const listed = (await call(org.token, 'GET', '/api/v1/roles')).json().data.map((item: { id: string }) => item.id)
    expect(listed).toContain(role.id)

    const renamed = await call(org.token, 'PATCH', `/api/v1/roles/${role.id}`, { name: `${name} 2`, permissions: ['inventory:read', 'orders:read'] })
    expect(renamed.statusCode).toBe(200)
    expect(renamed.json()).toMatchObject({ name: `${name} 2`, description: 'stock keepers', permissions: ['inventory:read', 'orders:read'] })
    const stored = await ownerQuery<{ permission: string }>('select permission from tenant_role_permissions where tenant_id = $1 and role_id = $2 order by 1', [org.tenantId, role.id])
    expect(stored.map((row) => row.permission)).toEqual(['inventory:read', 'orders:read'])

    expect((await call(org.token, 'DELETE', `/api/v1/roles/${role.id}`)).statusCode).toBe(204)
    expect((await call(org.token, 'GET', `/api/v1/roles/${role.id}`)).statusCode).toBe(404)
    expect(await ownerQuery('select 1 from tenant_role_permissions where tenant_id = $1 and role_id = $2', [org.tenantId, role.id])).toEqual([])
    expect(await auditActions(org.tenantId, role.id)).toEqual(['role.created', 'role.updated', 'role.deleted'])
    const [update] = await ownerQuery<{ changes: Json; actor_id: string }>("select changes, actor_id from audit_log where tenant_id = $1 and resource_id = $2 and action = 'role.updated'", [org.tenantId, role.id])
    expect(update).toMatchObject({ actor_id: org.userId, changes: { name: { from: name, to: `${name} 2` }, permissions: { added: ['orders:read'], removed: ['inventory:write'] } } })
  })

  it('an unknown permission is 400 naming it, and nothing is stored', async () => {
    const name = uniqueName('Bad')
    for (const permissions of [['inventory:read', 'inventory:fly'], ['admin'], ['']]) {
      const response = await createRole(org.token, { name, permissions })
      expect(response.statusCode, JSON.stringify(permissions)).toBe(400)
      expect(response.json().code).toBe('validation_failed')
    }
    expect((await createRole(org.token, { name, permissions: ['inventory:fly'] })).json().detail).toContain('inventory:fly')
    expect(await ownerQuery('select 1 from tenant_roles where tenant_id = $1 and name = $2', [org.tenantId, name])).toEqual([])

    const role = (await createRole(org.token, { name, permissions: [] })).json()
    const patched = await call(org.token, 'PATCH', `/api/v1/roles/${role.id}`, { permissions: ['orders:teleport'] })
    expect(patched.statusCode).toBe(400)
    expect((await call(org.token, 'GET', `/api/v1/roles/${role.id}`)).json().permissions).toEqual([])
  })

  it('a duplicate name is 409 already_exists, case-insensitively, and so is a system role name', async () => {
    const name = uniqueName('Dup')
    const first = (await createRole(org.token, { name, permissions: ['orders:read'] })).json()
    for (const candidate of [name, name.toUpperCase(), ` ${name.toLowerCase()} `, 'admin', 'Auditor']) {
      const response = await createRole(org.token, { name: candidate, permissions: [] })
      expect(response.statusCode, candidate).toBe(409)
      expect(response.json().code).toBe('already_exists')
    }
    const other = (await createRole(org.token, { name: uniqueName('Other'), permissions: [] })).json()
    expect((await call(org.token, 'PATCH', `/api/v1/roles/${other.id}`, { name: name.toUpperCase() })).statusCode).toBe(409)
    // Renaming a role to its own name in another case is fine.
    expect((await call(org.token, 'PATCH', `/api/v1/roles/${first.id}`, { name: name.toUpperCase() })).json().name).toBe(name.toUpperCase())
    // Another tenant may use the same name.
    const elsewhere = await api.signUp()
    expect((await createRole(elsewhere.token, { name, permissions: [] })).statusCode).toBe(201)
  })

  it('a role held by a member cannot be deleted (409); after reassigning it can', async () => {
    const name = uniqueName('Held')
    const role = (await createRole(org.token, { name, permissions: ['reports:read'] })).json()
    const member = await api.addMember(org.token, name)
    expect((await call(org.token, 'GET', `/api/v1/roles/${role.id}`)).json().member_count).toBe(1)

    const refused = await call(org.token, 'DELETE', `/api/v1/roles/${role.id}`)
    expect(refused.statusCode).toBe(409)
    expect(refused.json()).toMatchObject({ code: 'conflict', members: 1, api_keys: 0 })
    expect((await call(org.token, 'GET', `/api/v1/roles/${role.id}`)).statusCode).toBe(200)

    expect((await call(org.token, 'PATCH', `/api/v1/members/${member.userId}`, { role: 'Analyst' })).statusCode).toBe(200)
    expect((await call(org.token, 'DELETE', `/api/v1/roles/${role.id}`)).statusCode).toBe(204)
  })

  it('a role held by an API key (even a revoked one) cannot be deleted (409)', async () => {
    const role = (await createRole(org.token, { name: uniqueName('Keyed'), permissions: ['inventory:read'] })).json()
    const key = await call(org.token, 'POST', '/api/v1/api-keys', { name: 'keyed', role_id: role.id })
    expect(key.statusCode).toBe(201)
    expect((await call(org.token, 'DELETE', `/api/v1/api-keys/${key.json().id}`)).statusCode).toBeLessThan(300)
    const refused = await call(org.token, 'DELETE', `/api/v1/roles/${role.id}`)
    expect(refused.statusCode).toBe(409)
    expect(refused.json()).toMatchObject({ code: 'conflict', members: 0, api_keys: 1 })
  })

  it('unknown ids are 404; malformed ids and bodies are 400', async () => {
    expect((await call(org.token, 'GET', `/api/v1/roles/${randomUUID()}`)).statusCode).toBe(404)
    expect((await call(org.token, 'PATCH', `/api/v1/roles/${randomUUID()}`, { name: 'x' })).statusCode).toBe(404)
    expect((await call(org.token, 'DELETE', `/api/v1/roles/${randomUUID()}`)).statusCode).toBe(404)
    expect((await call(org.token, 'GET', '/api/v1/roles/not-a-uuid')).statusCode).toBe(400)
    expect((await createRole(org.token, { name: '   ', permissions: [] })).statusCode).toBe(400)
    expect((await createRole(org.token, { name: 'x', permissions: [], extra: 1 })).statusCode).toBe(400)
    expect((await createRole(org.token, { name: 'x'.repeat(101), permissions: [] })).statusCode).toBe(400)
    expect((await call(org.token, 'PATCH', `/api/v1/roles/${randomUUID()}`, {})).statusCode).toBe(400)
  })

  it('lists page by page with a cursor', async () => {
    const tenant = await api.signUp()
    for (let index = 0; index < 5; index++) await createRole(tenant.token, { name: `Page ${index}`, permissions: [] })
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const response = await call(tenant.token, 'GET', `/api/v1/roles?limit=3${cursor ? `&cursor=${cursor}` : ''}`)
      expect(response.statusCode).toBe(200)
      const body: { data: { name: string }[]; next_cursor: string | null } = response.json()
      seen.push(...body.data.map((role) => role.name))
      cursor = body.next_cursor
    } while (cursor)
    // System roles first (seeded before any tenant existed), then custom roles in creation order.
    expect(seen.slice(0, 4).sort()).toEqual(['Admin', 'Analyst', 'Auditor', 'Manager'])
    expect(seen.slice(4)).toEqual(['Page 0', 'Page 1', 'Page 2', 'Page 3', 'Page 4'])
  })
})

describe('between tenants', () => {
  it("tenant B neither reads, changes, deletes nor assigns tenant A's custom role (404 / 400)", async () => {
    const a = await api.signUp()
    const b = await api.signUp()
    const role = (await createRole(a.token, { name: uniqueName('Secret'), permissions: ['orders:read'] })).json()
    expect((await call(b.token, 'GET', `/api/v1/roles/${role.id}`)).statusCode).toBe(404)
    expect((await call(b.token, 'PATCH', `/api/v1/roles/${role.id}`, { permissions: ['orders:read', 'orders:write'] })).statusCode).toBe(404)
    expect((await call(b.token, 'DELETE', `/api/v1/roles/${role.id}`)).statusCode).toBe(404)
    expect((await call(b.token, 'GET', '/api/v1/roles')).json().data.map((item: { id: string }) => item.id)).not.toContain(role.id)
    const assigned = await call(b.token, 'POST', '/api/v1/members', { email: `${randomUUID()}@example.test`, role_id: role.id })
    expect(assigned.statusCode).toBe(400)
    expect((await call(a.token, 'GET', `/api/v1/roles/${role.id}`)).json()).toMatchObject({ permissions: ['orders:read'] })
    // Naming tenant A with B's token: refused before anything is read.
    const mismatch = await api.app.inject({ url: `/api/v1/roles/${role.id}`, headers: { ...bearer(b.token), 'x-tenant-id': a.tenantId } })
    expect(mismatch.json().code).toBe('tenant_mismatch')
  })
})

describe('effective on the next request', () => {
  it('adding or removing a permission on a custom role applies to its members at once', async () => {
    const name = uniqueName('Readers')
    const role = (await createRole(org.token, { name, permissions: ['roles:read'] })).json()
    const member = await api.addMember(org.token, name)
    const members = () => call(member.token, 'GET', '/api/v1/members')
    expect((await members()).statusCode).toBe(403) // cached without users:read

    expect((await call(org.token, 'PATCH', `/api/v1/roles/${role.id}`, { permissions: ['roles:read', 'users:read'] })).statusCode).toBe(200)
    expect((await members()).statusCode).toBe(200)

    expect((await call(org.token, 'PATCH', `/api/v1/roles/${role.id}`, { permissions: ['roles:read'] })).statusCode).toBe(200)
    const denied = await members()
    expect(denied.statusCode).toBe(403)
    expect(denied.json()).toMatchObject({ code: 'permission_denied', permission: 'users:read' })
  })
})

// Two app instances on one PostgreSQL database sharing Redis: the change made through instance 1
// reaches instance 2's membership cache through pub/sub (PGlite has one handle: skipped).
describe.runIf(Boolean(redisUrl() && serverUrl()))('across instances (PostgreSQL + Redis)', () => {
  it("a custom role's new permissions reach instance 2 on its next requests", async () => {
    const db2 = await api.testDb.reopen()
    const redis2 = testRedis()!
    const app2 = await buildApp({ config: api.testDb.config, db: db2, redis: redis2, services: createServices({ config: api.testDb.config, db: db2, redis: redis2 }) })
    await app2.ready()
    try {
      const name = uniqueName('Remote')
      const role = (await createRole(org.token, { name, permissions: ['roles:read'] })).json()
      const member = await api.addMember(org.token, name)
      const members = () => app2.inject({ url: '/api/v1/members', headers: bearer(member.token) })
      expect((await members()).statusCode).toBe(403) // cached by instance 2
      expect((await call(org.token, 'PATCH', `/api/v1/roles/${role.id}`, { permissions: ['roles:read', 'users:read'] })).statusCode).toBe(200)
      const deadline = Date.now() + 2000
      let response = await members()
      while (response.statusCode !== 200 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50))
        response = await members()
      }
      expect(response.statusCode).toBe(200)
    } finally {
      await app2.close()
      redis2.disconnect()
    }
  })
})
