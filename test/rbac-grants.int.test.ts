// "Nobody can grant what they do not hold", members holding custom roles, the last Admin, and
// the tenant audit entries of membership changes. State is checked as the schema owner.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assertCanGrant } from '../src/modules/rbac/index.ts'
import { bearer, createTestApi, PASSWORD, type TestApi } from './support/api.ts'

let api: TestApi
let org: Awaited<ReturnType<TestApi['signUp']>>

beforeAll(async () => {
  api = await createTestApi()
  org = await api.signUp()
})
afterAll(async () => {
  await api?.close()
})

type Json = Record<string, unknown>
const call = (token: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: Json, headers: Record<string, string> = {}) =>
  api.app.inject({ method, url, headers: { ...bearer(token), ...headers }, ...(payload ? { payload } : {}) })
const email = (prefix = 'member') => `${prefix}-${randomUUID().slice(0, 12)}@example.test`
const uniqueName = (prefix: string) => `${prefix} ${randomUUID().slice(0, 8)}`

async function ownerQuery<Row = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<Row[]> {
  const { rows } = await api.testDb.db.withOwnerSession((session) => session.query<Row>(sql, params))
  return rows
}
async function createRole(token: string, name: string, permissions: string[]): Promise<{ id: string; name: string }> {
  const response = await call(token, 'POST', '/api/v1/roles', { name, permissions })
  if (response.statusCode !== 201) throw new Error(`createRole: ${response.statusCode} ${response.body}`)
  return response.json()
}
function expectDenied(response: { statusCode: number; json(): Json }, permission: string) {
  expect(response.statusCode).toBe(403)
  expect(response.json()).toMatchObject({ code: 'permission_denied', permission })
}

it('assertCanGrant names the first missing permission in catalog order and lists all of them', () => {
  expect(() => assertCanGrant(new Set(['a:read']), ['a:read'])).not.toThrow()
  expect(() => assertCanGrant(new Set(['a:read']), [])).not.toThrow()
  try {
    assertCanGrant(new Set(['inventory:read']), ['users:write', 'inventory:read', 'orders:delete'])
    expect.unreachable()
  } catch (error) {
    expect(error).toMatchObject({ code: 'permission_denied', details: { permission: 'orders:delete', missing: ['orders:delete', 'users:write'] } })
  }
})

describe('a Manager-like custom role with users:write but not inventory:delete', () => {
  let people: { userId: string; token: string }
  let analyst: { userId: string; token: string }
  const held = ['inventory:read', 'inventory:write', 'users:read', 'users:write', 'users:delete', 'roles:read', 'roles:write']

  beforeAll(async () => {
    const role = await createRole(org.token, uniqueName('People'), held)
    people = await api.addMember(org.token, role.name)
    analyst = await api.addMember(org.token, 'Analyst')
  })

  it('cannot create a role with inventory:delete (403 naming it); can create one within its own set', async () => {
    const name = uniqueName('Deleters')
    expectDenied(await call(people.token, 'POST', '/api/v1/roles', { name, permissions: ['inventory:read', 'inventory:delete'] }), 'inventory:delete')
    expect(await ownerQuery('select 1 from tenant_roles where name = $1', [name])).toEqual([])
    expect((await call(people.token, 'POST', '/api/v1/roles', { name, permissions: ['inventory:read', 'users:read'] })).statusCode).toBe(201)
  })

  it('cannot add inventory:delete to a role; may change a role within its own set', async () => {
    const own = await createRole(people.token, uniqueName('Mine'), ['inventory:read'])
    expectDenied(await call(people.token, 'PATCH', `/api/v1/roles/${own.id}`, { permissions: ['inventory:read', 'inventory:delete'] }), 'inventory:delete')
    expect((await call(people.token, 'PATCH', `/api/v1/roles/${own.id}`, { permissions: ['inventory:read', 'users:read'] })).json().permissions.sort()).toEqual(['inventory:read', 'users:read'])
    expect((await call(people.token, 'PATCH', `/api/v1/roles/${own.id}`, { name: uniqueName('Renamed') })).statusCode).toBe(200)
  })

  it('cannot change a role granting more than it holds, not even to remove from it or rename it', async () => {
    // The attack: strip a stronger member's role, then suspend them (members refuse that directly).
    const strong = await createRole(org.token, uniqueName('Strong'), ['inventory:delete', 'inventory:read'])
    const holder = await api.addMember(org.token, strong.name)
    expectDenied(await call(people.token, 'PATCH', `/api/v1/roles/${strong.id}`, { permissions: ['inventory:read'] }), 'inventory:delete')
    expectDenied(await call(people.token, 'PATCH', `/api/v1/roles/${strong.id}`, { name: uniqueName('Renamed') }), 'inventory:delete')
    const unchanged = (await call(org.token, 'GET', `/api/v1/roles/${strong.id}`)).json()
    expect([unchanged.name, unchanged.permissions.sort()]).toEqual([strong.name, ['inventory:delete', 'inventory:read']])
    expectDenied(await call(people.token, 'PATCH', `/api/v1/members/${holder.userId}`, { status: 'suspended' }), 'inventory:delete')
  })

  it('cannot assign Admin (or any role holding more) to a new member, another member or itself', async () => {
    const address = email('escalate')
    expectDenied(await call(people.token, 'POST', '/api/v1/members', { email: address, password: PASSWORD, role: 'Admin' }), 'inventory:delete')
    expect(await ownerQuery('select 1 from users where email = $1', [address])).toEqual([])
    // Analyst holds orders:read, which this role lacks.
    expectDenied(await call(people.token, 'POST', '/api/v1/members', { email: address, role: 'Analyst' }), 'orders:read')
    const clerk = await createRole(org.token, uniqueName('Clerk'), ['inventory:read'])
    const added = await call(people.token, 'POST', '/api/v1/members', { email: address, password: PASSWORD, role_id: clerk.id })
    expect(added.statusCode).toBe(201)
    const clerkId = added.json().member.user_id

    expectDenied(await call(people.token, 'PATCH', `/api/v1/members/${clerkId}`, { role: 'Admin' }), 'inventory:delete')
    expectDenied(await call(people.token, 'PATCH', `/api/v1/members/${people.userId}`, { role: 'Admin' }), 'inventory:delete')
    const rows = await ownerQuery<{ role_id: string | null; custom_role_id: string | null }>('select role_id, custom_role_id from tenant_users where tenant_id = $1 and user_id = $2', [org.tenantId, clerkId])
    expect(rows).toEqual([{ role_id: null, custom_role_id: clerk.id }])
  })

  it('cannot change, suspend or remove a member who holds more than it (an Admin, an Analyst)', async () => {
    expectDenied(await call(people.token, 'PATCH', `/api/v1/members/${org.userId}`, { status: 'suspended' }), 'inventory:delete')
    expectDenied(await call(people.token, 'DELETE', `/api/v1/members/${org.userId}`), 'inventory:delete')
    expectDenied(await call(people.token, 'PATCH', `/api/v1/members/${analyst.userId}`, { role_id: (await createRole(org.token, uniqueName('Low'), [])).id }), 'orders:read')
    expectDenied(await call(people.token, 'DELETE', `/api/v1/members/${analyst.userId}`), 'orders:read')
    const state = await ownerQuery<{ n: number }>("select count(*)::int as n from tenant_users where tenant_id = $1 and user_id = any($2::uuid[]) and status = 'active'", [org.tenantId, [org.userId, analyst.userId]])
    expect(state[0]!.n).toBe(2)
  })
})

describe('API keys and roles that grant more than their manager holds (issue 18)', () => {
  // Key and role rights without inventory:*: the Admin's key and a stronger role are beyond it.
  const held = ['api_keys:read', 'api_keys:write', 'roles:read', 'roles:write', 'users:read']
  let keeper: { userId: string; token: string }

  beforeAll(async () => {
    keeper = await api.addMember(org.token, (await createRole(org.token, uniqueName('Keeper'), held)).name)
  })
  const newKey = async (payload: Json) => {
    const response = await call(org.token, 'POST', '/api/v1/api-keys', { name: 'k', ...payload })
    if (response.statusCode !== 201) throw new Error(`newKey: ${response.statusCode} ${response.body}`)
    return response.json() as { id: string; key: string }
  }
  const revokedAt = async (id: string) => (await ownerQuery<{ revoked_at: Date | null }>('select revoked_at from api_keys where id = $1', [id]))[0]!.revoked_at

  it("cannot revoke the Admin's key, nor one holding a permission it lacks (403 naming it); the key still works", async () => {
    const admins = await newKey({ role: 'Admin' })
    expectDenied(await call(keeper.token, 'DELETE', `/api/v1/api-keys/${admins.id}`), 'inventory:read')
    const stronger = await newKey({ permissions: ['users:read', 'audit:read'] })
    const refused = await call(keeper.token, 'DELETE', `/api/v1/api-keys/${stronger.id}`)
    expectDenied(refused, 'audit:read')
    expect(refused.json()).toMatchObject({ missing: ['audit:read'] })
    expect([await revokedAt(admins.id), await revokedAt(stronger.id)]).toEqual([null, null])
    expect((await call(admins.key, 'GET', '/api/v1/tenant')).statusCode).toBe(200)
  })

  it('revokes a key within its own permissions; an Admin and an operator revoke any key', async () => {
    const within = await newKey({ permissions: ['users:read', 'roles:read'] })
    expect((await call(keeper.token, 'DELETE', `/api/v1/api-keys/${within.id}`)).statusCode).toBe(204)
    expect(await revokedAt(within.id)).not.toBeNull()
    const byAdmin = await newKey({ role: 'Admin' })
    expect((await call(org.token, 'DELETE', `/api/v1/api-keys/${byAdmin.id}`)).statusCode).toBe(204)
    const byOperator = await newKey({ role: 'Admin' })
    expect((await call('', 'DELETE', `/api/v1/api-keys/${byOperator.id}`, undefined, { ...api.operator, 'x-tenant-id': org.tenantId })).statusCode).toBe(204)
    expect(await revokedAt(byOperator.id)).not.toBeNull()
  })

  it('cannot delete an unused custom role granting a permission it lacks (403 as for renaming it); may delete one within its set', async () => {
    const strong = await createRole(org.token, uniqueName('Unused'), ['users:read', 'inventory:delete'])
    expectDenied(await call(keeper.token, 'PATCH', `/api/v1/roles/${strong.id}`, { name: uniqueName('Renamed') }), 'inventory:delete')
    const refused = await call(keeper.token, 'DELETE', `/api/v1/roles/${strong.id}`)
    expectDenied(refused, 'inventory:delete')
    expect(refused.json().detail).toContain('inventory:delete')
    expect(await ownerQuery('select 1 from tenant_roles where id = $1', [strong.id])).toHaveLength(1)
    const weak = await createRole(org.token, uniqueName('Weak'), ['users:read'])
    expect((await call(keeper.token, 'DELETE', `/api/v1/roles/${weak.id}`)).statusCode).toBe(204)
  })
})

describe('members holding custom roles', () => {
  it('log in with the role name and exactly its permissions; the response names the custom role', async () => {
    const role = await createRole(org.token, uniqueName('Viewer'), ['roles:read', 'orders:read'])
    const member = await api.addMember(org.token, role.name)
    const listed = (await call(org.token, 'GET', '/api/v1/members?limit=200')).json().data.find((item: { user_id: string }) => item.user_id === member.userId)
    expect(listed).toMatchObject({ role: role.name, role_id: role.id, status: 'active' })
    const login = await api.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: member.email, password: PASSWORD, tenant: org.tenantId } })
    expect(login.json()).toMatchObject({ role: role.name })
    expect((await call(member.token, 'GET', '/api/v1/roles')).statusCode).toBe(200)
    expectDenied(await call(member.token, 'GET', '/api/v1/members'), 'users:read')
  })

  it('the last Admin cannot be moved to a custom role (409 last_admin); with a second Admin they can', async () => {
    const tenant = await api.signUp()
    const custom = await createRole(tenant.token, uniqueName('All'), ['users:read', 'users:write'])
    const refused = await call(tenant.token, 'PATCH', `/api/v1/members/${tenant.userId}`, { role_id: custom.id })
    expect(refused.statusCode).toBe(409)
    expect(refused.json().code).toBe('last_admin')
    const second = await api.addMember(tenant.token, 'Admin')
    expect((await call(tenant.token, 'PATCH', `/api/v1/members/${tenant.userId}`, { role_id: custom.id })).json()).toMatchObject({ role: custom.name })
    // Now the second Admin is the last one, also against someone holding a custom role.
    expect((await call(second.token, 'DELETE', `/api/v1/members/${second.userId}`)).json().code).toBe('last_admin')
    expect((await call(second.token, 'PATCH', `/api/v1/members/${second.userId}`, { role: custom.name })).json().code).toBe('last_admin')
    // A custom role's holder comes back to Admin through the remaining Admin.
    expect((await call(second.token, 'PATCH', `/api/v1/members/${tenant.userId}`, { role: 'Admin' })).json()).toMatchObject({ role: 'Admin' })
  })
})

describe('audit entries of membership changes', () => {
  it('member.added, member.updated and member.removed are in the tenant audit log with the actor', async () => {
    const tenant = await api.signUp()
    const added = await call(tenant.token, 'POST', '/api/v1/members', { email: email('audited'), password: PASSWORD, role: 'Analyst' })
    const userId = added.json().member.user_id
    expect((await call(tenant.token, 'PATCH', `/api/v1/members/${userId}`, { role: 'Manager', status: 'suspended' })).statusCode).toBe(200)
    expect((await call(tenant.token, 'DELETE', `/api/v1/members/${userId}`)).statusCode).toBe(204)
    const entries = await ownerQuery<{ action: string; actor_type: string; actor_id: string; resource_type: string; changes: Json; request_id: string }>(
      'select action, actor_type, actor_id, resource_type, changes, request_id from audit_log where tenant_id = $1 and resource_id = $2 order by seq',
      [tenant.tenantId, userId],
    )
    expect(entries.map((entry) => entry.action)).toEqual(['member.added', 'member.updated', 'member.removed'])
    expect(entries.every((entry) => entry.actor_type === 'user' && entry.actor_id === tenant.userId && entry.resource_type === 'member' && entry.request_id)).toBe(true)
    expect(entries[0]!.changes).toMatchObject({ role: 'Analyst', status: 'active' })
    expect(entries[1]!.changes).toMatchObject({ role: { from: 'Analyst', to: 'Manager' }, status: { from: 'active', to: 'suspended' } })
  })

  it('an operator acting in the tenant may assign Admin; audited in the tenant log and the platform log', async () => {
    const tenant = await api.signUp()
    const response = await call('', 'POST', '/api/v1/members', { email: email('byop'), password: PASSWORD, role: 'Admin' }, { ...api.operator, 'x-tenant-id': tenant.tenantId })
    expect(response.statusCode).toBe(201)
    const userId = response.json().member.user_id
    expect(await ownerQuery('select actor_type from audit_log where tenant_id = $1 and resource_id = $2', [tenant.tenantId, userId])).toEqual([{ actor_type: 'platform' }])
    expect(await ownerQuery('select action from platform_audit_log where target_id = $1', [`${tenant.tenantId}:${userId}`])).toEqual([{ action: 'member.added' }])
  })
})
