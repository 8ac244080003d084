// API keys through HTTP on a real database: created once and shown once, stored as SHA-256,
// usable on tenant routes with the permissions they were given (never more than the creator's),
// listed without secrets, revoked at once, audited, and invisible to other tenants.
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { bearer, createTestApi, type TestApi } from './support/api.ts'
import { expectOk, expectProblem, ownerRows, UNKNOWN_ID } from './support/platform.ts'

let api: TestApi
let org: Awaited<ReturnType<TestApi['signUp']>>

beforeAll(async () => {
  api = await createTestApi()
  org = await api.signUp()
})
afterAll(() => api?.close())

const KEY = /^tnt_[0-9a-f]{40}_[A-Za-z0-9_-]{43}$/
const createKey = (token: string, payload: Record<string, unknown>, headers: Record<string, string> = {}) =>
  api.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: { ...bearer(token), ...headers }, payload })
const listKeys = (token: string, query = '') => api.app.inject({ url: `/api/v1/api-keys${query}`, headers: bearer(token) })
const revokeKey = (token: string, id: string) => api.app.inject({ method: 'DELETE', url: `/api/v1/api-keys/${id}`, headers: bearer(token) })
const members = (key: string) => api.app.inject({ url: '/api/v1/members', headers: bearer(key) })

async function newKey(payload: Record<string, unknown> = { permissions: ['users:read'] }, token = org.token): Promise<{ id: string; key: string; [field: string]: unknown }> {
  return expectOk(await createKey(token, { name: 'ci', ...payload }), 201)
}

describe('creating and using a key', () => {
  it('returns the key once, in the documented format, and the key works on tenant routes', async () => {
    const created = await newKey({ name: 'deploy bot', permissions: ['users:read', 'settings:read'] })
    expect(created.key).toMatch(KEY)
    expect(created.key.slice(4, 36)).toBe(org.tenantId.replaceAll('-', ''))
    expect(created).toMatchObject({ name: 'deploy bot', role: null, role_id: null, permissions: ['settings:read', 'users:read'], expires_at: null })
    expect(created.prefix).toBe(`tnt_${created.key.slice(4, 12)}…${created.key.slice(36, 44)}`)

    expect(expectOk(await members(created.key)).data.length).toBeGreaterThan(0)
    const tenant = expectOk(await api.app.inject({ url: '/api/v1/tenant', headers: bearer(created.key) }))
    expect(tenant.id).toBe(org.tenantId)
  })

  it('is never shown again: the list has no key, and the database holds only its SHA-256', async () => {
    const created = await newKey()
    const listed = expectOk(await listKeys(org.token)).data.find((key: { id: string }) => key.id === created.id)
    expect(listed).toMatchObject({ id: created.id, prefix: created.prefix, permissions: ['users:read'], revoked_at: null, created_by: org.userId })
    expect(listed).not.toHaveProperty('key')
    expect(listed).not.toHaveProperty('key_hash')
    expect(JSON.stringify(listed)).not.toContain(created.key.slice(45))

    const [row] = await ownerRows<{ key_hash: Uint8Array; prefix: string; whole: string }>(api, 'select key_hash, prefix, row_to_json(k)::text as whole from api_keys k where id = $1', [created.id])
    expect(Buffer.from(row!.key_hash).equals(createHash('sha256').update(created.key).digest())).toBe(true)
    expect(row!.prefix).toBe(created.key.slice(4, 44))
    expect(row!.whole).not.toContain(created.key.slice(45))
  })

  it('binds a key to a role by name, with the role’s permissions', async () => {
    const created = await newKey({ role: 'auditor' })
    expect(created).toMatchObject({ role: 'Auditor', permissions: expect.arrayContaining(['users:read', 'audit:export']) })
    expect((await members(created.key)).statusCode).toBe(200)
    expectProblem(await api.app.inject({ method: 'POST', url: '/api/v1/members', headers: bearer(created.key), payload: { email: 'x@example.test', role: 'Analyst' } }), 403, 'permission_denied')
  })

  it('enforces the permission subset: a users:read key is refused on users:write and settings:read routes', async () => {
    const { key } = await newKey({ permissions: ['users:read'] })
    expect((await members(key)).statusCode).toBe(200)
    const write = await api.app.inject({ method: 'POST', url: '/api/v1/members', headers: bearer(key), payload: { email: 'y@example.test', role: 'Analyst' } })
    expect(expectProblem(write, 403, 'permission_denied').permission).toBe('users:write')
    expect(expectProblem(await api.app.inject({ url: '/api/v1/tenant', headers: bearer(key) }), 403, 'permission_denied').permission).toBe('settings:read')
  })

  it('refuses malformed requests: no grant, two grants, unknown permission or role, a past expiry', async () => {
    for (const payload of [
      { name: 'x' },
      { name: 'x', role: 'Admin', permissions: ['users:read'] },
      { name: 'x', permissions: ['users:fly'] },
      { name: 'x', permissions: [] },
      { name: 'x', role: 'Nobody' },
      { name: 'x', role_id: UNKNOWN_ID },
      { name: 'x', permissions: ['users:read'], expires_at: new Date(Date.now() - 1000).toISOString() },
      { name: '', permissions: ['users:read'] },
    ]) {
      expectProblem(await createKey(org.token, payload), 400, 'validation_failed')
    }
  })

  it('lets operators create keys inside a tenant they name, with any permission (created_by null)', async () => {
    const response = await createKey(api.operator.authorization!.slice(7), { name: 'support', role: 'Admin' }, { 'x-tenant-id': org.tenantId })
    const created = expectOk(response, 201)
    expect(created.role).toBe('Admin')
    expect((await api.app.inject({ url: '/api/v1/tenant', headers: bearer(created.key) })).statusCode).toBe(200)
    const [row] = await ownerRows<{ created_by: string | null }>(api, 'select created_by from api_keys where id = $1', [created.id])
    expect(row!.created_by).toBeNull()
  })
})

describe('who may mint which key', () => {
  it('an API key cannot mint keys, even one holding api_keys:write (403)', async () => {
    const { key } = await newKey({ role: 'Admin' })
    expectProblem(await createKey(key, { name: 'child', permissions: ['users:read'] }), 403, 'forbidden')
    // It may read the list, which its role allows.
    expect((await listKeys(key)).statusCode).toBe(200)
  })

  it('a Manager or Analyst lacks api_keys:write and is refused (403 permission_denied)', async () => {
    for (const role of ['Manager', 'Analyst']) {
      const member = await api.addMember(org.token, role)
      const refused = await createKey(member.token, { name: 'mine', permissions: ['inventory:read'] })
      expect(expectProblem(refused, 403, 'permission_denied').permission).toBe('api_keys:write')
    }
  })

  it('a member with api_keys:write cannot grant a permission or a role beyond their own', async () => {
    // A custom role (written as the owner: the roles API is another module's) with key rights and little else.
    const [role] = await ownerRows<{ id: string }>(api, "insert into tenant_roles (tenant_id, name, name_skeleton) values ($1, 'Key Manager', 'key manager') returning id", [org.tenantId])
    for (const permission of ['api_keys:read', 'api_keys:write', 'inventory:read']) {
      await ownerRows(api, 'insert into tenant_role_permissions (tenant_id, role_id, permission) values ($1, $2, $3)', [org.tenantId, role!.id, permission])
    }
    const member = await api.addMember(org.token, 'Analyst')
    await ownerRows(api, 'update tenant_users set role_id = null, custom_role_id = $3 where tenant_id = $1 and user_id = $2', [org.tenantId, member.userId, role!.id])
    api.services.bus.publish({ kind: 'membership', tenantId: org.tenantId, userId: member.userId })

    const escalation = await createKey(member.token, { name: 'up', permissions: ['inventory:read', 'users:write'] })
    expect(expectProblem(escalation, 403, 'permission_denied').permission).toBe('users:write')
    expect(expectProblem(await createKey(member.token, { name: 'up', role: 'Admin' }), 403, 'permission_denied').permission).toBe('inventory:write')
    expect(expectProblem(await createKey(member.token, { name: 'up', role: 'Manager' }), 403, 'permission_denied').permission).toBe('inventory:write')

    const own = expectOk(await createKey(member.token, { name: 'fine', permissions: ['inventory:read'] }), 201)
    expect(own.permissions).toEqual(['inventory:read'])
    // Its own custom role is grantable, by id, and the key then acts with that role's permissions.
    const asRole = expectOk(await createKey(member.token, { name: 'as role', role_id: role!.id }), 201)
    expect(asRole).toMatchObject({ role: 'Key Manager', role_id: role!.id, permissions: ['api_keys:read', 'api_keys:write', 'inventory:read'] })
    expect((await listKeys(asRole.key)).statusCode).toBe(200)
    expectProblem(await members(asRole.key), 403, 'permission_denied')
  })
})

describe('listing, revoking, auditing', () => {
  it('pages the list with a cursor, oldest first, without repeats', async () => {
    const other = await api.signUp()
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push((await newKey({ permissions: ['users:read'] }, other.token)).id)
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page: { data: { id: string }[]; next_cursor: string | null } = expectOk(await listKeys(other.token, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`))
      expect(page.data.length).toBeLessThanOrEqual(2)
      seen.push(...page.data.map((key) => key.id))
      cursor = page.next_cursor
    } while (cursor)
    expect(seen).toEqual(ids)
    expectProblem(await listKeys(other.token, '?cursor=garbage'), 400, 'validation_failed')
  })

  it('revocation applies on the very next request (401), is listed, and is idempotent', async () => {
    const created = await newKey()
    expect((await members(created.key)).statusCode).toBe(200) // now cached as verified
    expect((await revokeKey(org.token, created.id)).statusCode).toBe(204)
    expectProblem(await members(created.key), 401, 'invalid_token')
    const listed = expectOk(await listKeys(org.token)).data.find((key: { id: string }) => key.id === created.id)
    expect(listed.revoked_at).not.toBeNull()
    expect((await revokeKey(org.token, created.id)).statusCode).toBe(204)
  })

  it('audits creation and revocation, never with the key', async () => {
    const created = await newKey()
    await revokeKey(org.token, created.id)
    const entries = await ownerRows<{ action: string; actor_type: string; actor_id: string; changes: unknown }>(
      api, 'select action, actor_type, actor_id, changes from audit_log where tenant_id = $1 and resource_id = $2 order by seq', [org.tenantId, created.id],
    )
    expect(entries.map((entry) => [entry.action, entry.actor_type, entry.actor_id])).toEqual([
      ['api_key.created', 'user', org.userId],
      ['api_key.revoked', 'user', org.userId],
    ])
    expect(entries[0]!.changes).toMatchObject({ name: 'ci', prefix: created.prefix, permissions: ['users:read'] })
    expect(JSON.stringify(entries)).not.toContain(created.key.slice(45))
  })

  it('another tenant can neither list nor revoke the key (404), and the key keeps working', async () => {
    const created = await newKey()
    const other = await api.signUp()
    expect(expectOk(await listKeys(other.token)).data.map((key: { id: string }) => key.id)).not.toContain(created.id)
    expectProblem(await revokeKey(other.token, created.id), 404, 'not_found')
    expectProblem(await revokeKey(org.token, UNKNOWN_ID), 404, 'not_found')
    expect((await members(created.key)).statusCode).toBe(200)
  })
})

describe('last_used_at', () => {
  const lastUsed = async (id: string) => {
    await api.services.apiKeys.flush()
    const [row] = await ownerRows<{ last_used_at: Date | null }>(api, 'select last_used_at from api_keys where id = $1', [id])
    return row!.last_used_at
  }

  it('is set after use and not rewritten within a minute; after a minute it is', async () => {
    const created = await newKey()
    expect(await lastUsed(created.id)).toBeNull()
    await members(created.key)
    const first = await lastUsed(created.id)
    expect(first).toBeInstanceOf(Date)
    await members(created.key)
    expect(await lastUsed(created.id)).toEqual(first)

    // Older in the database, yet still no write from this instance within its minute.
    await ownerRows(api, "update api_keys set last_used_at = now() - interval '5 minutes' where id = $1", [created.id])
    const old = await lastUsed(created.id)
    await members(created.key)
    expect(await lastUsed(created.id)).toEqual(old)

    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      vi.setSystemTime(Date.now() + 61_000)
      expect((await members(created.key)).statusCode).toBe(200)
      expect((await lastUsed(created.id))!.getTime()).toBeGreaterThan(old!.getTime())
    } finally {
      vi.useRealTimers()
    }
  })
})
