// A tenant's life through the platform routes, on a real database: suspension, soft deletion,
// purge (checked against the table registry), plan migration, operators adding members, and
// the platform audit trail of it all. Creation and listing: tenants.int.test.ts.
import { beforeAll, describe, expect, it } from 'vitest'
import { tenantTables, type OwnerSession } from '../src/db/index.ts'
import { bearer, PASSWORD } from './support/api.ts'
import { auditActions, behindLock, countRows, expectOk, expectProblem, onPostgresOnly, ownerRows, platformSuite } from './support/platform.ts'

const suite = platformSuite()

const tenantUrl = (id: string, action = '') => `/api/v1/tenants/${id}${action}`
const statusOf = async (id: string) => (await ownerRows<{ status: string }>(suite.api, 'select status from tenants where id = $1', [id]))[0]?.status
const login = (email: string, tenant?: string) =>
  suite.api.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: PASSWORD, ...(tenant ? { tenant } : {}) } })

describe('suspension', () => {
  it("refuses a member's token on the very next request, and admits it again after reactivation", async () => {
    const org = await suite.api.signUp()
    const manager = await suite.api.addMember(org.token, 'Manager')
    const asAdmin = () => suite.api.app.inject({ url: '/api/v1/tenant', headers: bearer(org.token) })
    const asManager = () => suite.api.app.inject({ url: '/api/v1/members', headers: bearer(manager.token) })
    expectOk(await asAdmin()) // the tenant and memberships are now in the access cache
    expectOk(await asManager())

    expect(expectOk(await suite.client.post(tenantUrl(org.tenantId, '/suspend'))).status).toBe('suspended')
    expect(await statusOf(org.tenantId)).toBe('suspended')
    expectProblem(await asAdmin(), 403, 'tenant_suspended')
    expectProblem(await asManager(), 403, 'tenant_suspended')
    expectProblem(await login(manager.email, org.tenantId), 403, 'tenant_suspended')
    expectProblem(await suite.client.post(tenantUrl(org.tenantId, '/suspend')), 409, 'conflict')
    expect(expectOk(await suite.client.get(tenantUrl(org.tenantId))).status).toBe('suspended') // operators still see it

    expect(expectOk(await suite.client.post(tenantUrl(org.tenantId, '/reactivate'))).status).toBe('active')
    expect(await statusOf(org.tenantId)).toBe('active')
    expectOk(await asAdmin())
    expectOk(await asManager())
    expectOk(await login(manager.email, org.tenantId))
    expectProblem(await suite.client.post(tenantUrl(org.tenantId, '/reactivate')), 409, 'conflict')
  })
})

describe('soft deletion', () => {
  it('marks the tenant deleted, keeps its data, refuses its members, and is undone by reactivate', async () => {
    const org = await suite.api.signUp()
    const membersBefore = await countRows(suite.api, 'tenant_users', 'tenant_id = $1', [org.tenantId])
    const deleted = expectOk(await suite.client.delete(tenantUrl(org.tenantId)))
    expect(deleted).toMatchObject({ id: org.tenantId, status: 'deleted', deleted_at: expect.any(String) })
    const [row] = await ownerRows<{ status: string; deleted_at: Date | null }>(suite.api, 'select status, deleted_at from tenants where id = $1', [org.tenantId])
    expect(row!.status).toBe('deleted')
    expect(row!.deleted_at).toBeInstanceOf(Date)
    expect(await countRows(suite.api, 'tenant_users', 'tenant_id = $1', [org.tenantId])).toBe(membersBefore)

    expectProblem(await suite.api.app.inject({ url: '/api/v1/tenant', headers: bearer(org.token) }), 403, 'tenant_access_denied')
    expectProblem(await suite.client.delete(tenantUrl(org.tenantId)), 409, 'conflict')
    expectProblem(await suite.client.post(tenantUrl(org.tenantId, '/suspend')), 409, 'conflict')
    const listed = expectOk(await suite.client.get('/api/v1/tenants?status=deleted')).data.map((t: { id: string }) => t.id)
    expect(listed).toContain(org.tenantId)

    const restored = expectOk(await suite.client.post(tenantUrl(org.tenantId, '/reactivate')))
    expect(restored).toMatchObject({ status: 'active', deleted_at: null })
    expectOk(await suite.api.app.inject({ url: '/api/v1/tenant', headers: bearer(org.token) }))
  })

  it('refuses operators inside a deleted tenant too (nothing is written into it), until it is reactivated', async () => {
    const org = await suite.api.signUp()
    expectOk(await suite.client.delete(tenantUrl(org.tenantId)))
    const asOperator = { ...suite.api.operator, 'x-tenant-id': org.tenantId }
    const created = await suite.api.app.inject({ method: 'POST', url: '/api/v1/inventory', headers: asOperator, payload: { item_code: 'GHOST-1', name: 'Ghost' } })
    expectProblem(created, 403, 'tenant_access_denied')
    expect(created.json().detail).toContain('reactivate')
    expectProblem(await suite.api.app.inject({ url: '/api/v1/members', headers: asOperator }), 403, 'tenant_access_denied')
    expect(await countRows(suite.api, 'inventory_items', 'tenant_id = $1', [org.tenantId])).toBe(0)

    expectOk(await suite.client.post(tenantUrl(org.tenantId, '/reactivate')))
    expect((await suite.api.app.inject({ method: 'POST', url: '/api/v1/inventory', headers: asOperator, payload: { item_code: 'REAL-1', name: 'Real' } })).statusCode).toBe(201)
  })

  it('refuses to delete the default tenant while callers who name no tenant fall back to it', async () => {
    const defaultTenantId = suite.api.testDb.config.DEFAULT_TENANT_ID
    expect(suite.api.testDb.config.ALLOW_DEFAULT_TENANT).toBe(true)
    const refused = await suite.client.delete(tenantUrl(defaultTenantId))
    expectProblem(refused, 409, 'conflict')
    expect(refused.json().detail).toContain('ALLOW_DEFAULT_TENANT')
    expect(await statusOf(defaultTenantId)).toBe('active')
  })

  it('can no longer be undone after the retention period, but can still be purged', async () => {
    const created = await suite.api.createTenant({ name: 'Long gone' })
    expectOk(await suite.client.delete(tenantUrl(created.id)))
    await ownerRows(suite.api, `update tenants set deleted_at = now() - interval '31 days' where id = $1`, [created.id])
    expectProblem(await suite.client.post(tenantUrl(created.id, '/reactivate')), 409, 'conflict')
    expect(await statusOf(created.id)).toBe('deleted')
    expectOk(await suite.client.delete(`${tenantUrl(created.id)}?purge=true`))
  })
  it('lets exactly one of concurrent deletes succeed', async () => {
    const created = await suite.api.createTenant({ name: 'Deleted twice' })
    const lock = { sql: 'select 1 from tenants where id = $1 for update', params: [created.id], waiters: 3 }
    const responses = await behindLock(suite.api, lock, () => Promise.all([1, 2, 3].map(() => suite.client.delete(tenantUrl(created.id)))))
    expect(responses.map((r) => r.statusCode).sort()).toEqual([200, 409, 409])
    expect(await auditActions(suite.api, created.id)).toEqual(['tenant.created', 'tenant.deleted'])
  })
})

describe('DELETE ?purge=true', () => {
  /** A tenant with a row in every tenant-scoped table the API or a plain insert can reach. */
  async function populatedTenant() {
    const org = await suite.api.signUp()
    await suite.api.addMember(org.token, 'Manager')
    const invite = await suite.api.app.inject({ method: 'POST', url: '/api/v1/members', headers: bearer(org.token), payload: { email: `invitee-${org.tenantId}@example.test`, role: 'Analyst' } })
    expect(expectOk(invite, 201).invitation_token).toEqual(expect.any(String))
    await ownerRows(suite.api, `insert into inventory_items (tenant_id, item_code, name) select $1, 'SKU-' || g, 'Item ' || g from generate_series(1, 3) g`, [org.tenantId])
    await ownerRows(suite.api, `insert into tenant_data_keys (tenant_id, version, wrapped_key) values ($1, 1, 'wrapped-key')`, [org.tenantId])
    await ownerRows(suite.api, `insert into tenant_configurations (tenant_id, key, value) values ($1, 'custom.colour', '"teal"')`, [org.tenantId])
    return org
  }
  const POPULATED = ['tenant_users', 'invitations', 'tenant_configurations', 'tenant_data_keys', 'inventory_items']

  async function rowsPerTable(tenantId: string): Promise<Record<string, number>> {
    const counts: Record<string, number> = {}
    for (const table of tenantTables()) counts[table] = await countRows(suite.api, table, 'tenant_id = $1', [tenantId])
    return counts
  }

  it('refuses to purge a tenant that is not deleted (409), touching nothing', async () => {
    const org = await populatedTenant()
    const before = await rowsPerTable(org.tenantId)
    expectProblem(await suite.client.delete(`${tenantUrl(org.tenantId)}?purge=true`), 409, 'conflict')
    expect(await rowsPerTable(org.tenantId)).toEqual(before)
    expect(await statusOf(org.tenantId)).toBe('active')
  })

  it("removes every row of a deleted tenant from every tenant-scoped table, and nothing of another tenant's", async () => {
    const victim = await populatedTenant()
    const bystander = await populatedTenant()
    const before = await rowsPerTable(victim.tenantId)
    for (const table of POPULATED.filter((t) => tenantTables().includes(t))) expect(before[table], table).toBeGreaterThan(0)
    const bystanderBefore = await rowsPerTable(bystander.tenantId)

    expectOk(await suite.client.delete(tenantUrl(victim.tenantId)))
    const response = await suite.client.delete(`${tenantUrl(victim.tenantId)}?purge=true`)
    expect(expectOk(response)).toEqual({ id: victim.tenantId, purged: before })

    const after = await rowsPerTable(victim.tenantId)
    expect(after).toEqual(Object.fromEntries(tenantTables().map((table) => [table, 0])))
    expect(await countRows(suite.api, 'tenants', 'id = $1', [victim.tenantId])).toBe(0)
    expect(await rowsPerTable(bystander.tenantId)).toEqual(bystanderBefore)
    expect(await statusOf(bystander.tenantId)).toBe('active')

    // Users are global: they stay, without a default tenant that no longer exists.
    const [user] = await ownerRows(suite.api, 'select default_tenant_id from users where id = $1', [victim.userId])
    expect(user).toEqual({ default_tenant_id: null })
    expectProblem(await suite.api.app.inject({ url: '/api/v1/tenant', headers: bearer(victim.token) }), 403, 'tenant_access_denied')
    expectOk(await suite.api.app.inject({ url: '/api/v1/tenant', headers: bearer(bystander.token) }))

    expectProblem(await suite.client.get(tenantUrl(victim.tenantId)), 404, 'not_found')
    expectProblem(await suite.client.delete(`${tenantUrl(victim.tenantId)}?purge=true`), 404, 'not_found')
    expectProblem(await suite.client.post(tenantUrl(victim.tenantId, '/reactivate')), 404, 'not_found')
    const [audit] = await ownerRows(suite.api, `select actor_type, request_id from platform_audit_log where action = 'tenant.purged' and target_id = $1`, [victim.tenantId])
    expect(audit).toEqual({ actor_type: 'platform', request_id: response.headers['x-request-id'] })
  })
  onPostgresOnly('does not purge a tenant that was reactivated while the purge was under way', async () => {
    const org = await populatedTenant()
    expectOk(await suite.client.delete(tenantUrl(org.tenantId)))
    const before = await rowsPerTable(org.tenantId)
    const lock = {
      sql: 'select 1 from tenants where id = $1 for update',
      params: [org.tenantId],
      waiters: 1,
      beforeRelease: (session: OwnerSession) => session.query(`update tenants set status = 'active', deleted_at = null where id = $1`, [org.tenantId]).then(() => undefined),
    }
    expectProblem(await behindLock(suite.api, lock, () => suite.client.delete(`${tenantUrl(org.tenantId)}?purge=true`)), 409, 'conflict')
    expect(await statusOf(org.tenantId)).toBe('active')
    expect(await rowsPerTable(org.tenantId)).toEqual(before)
  })
})

describe('POST /:id/migrate', () => {
  /** Adds `n` members straight into the tenant, as the owner (cheaper than n API calls). */
  async function addBulkMembers(tenantId: string, n: number): Promise<void> {
    await ownerRows(suite.api, `insert into users (email) select 'bulk-' || g || '-' || $1 || '@example.test' from generate_series(1, $2::int) g`, [tenantId, n])
    await ownerRows(
      suite.api,
      `insert into tenant_users (tenant_id, user_id, role_id)
       select $1::uuid, u.id, (select id from roles where name = 'Analyst') from users u where u.email like 'bulk-%-' || $1::text || '@example.test'`,
      [tenantId],
    )
  }

  it("applies the target plan's defaults and keeps the tenant's overrides (premium → basic)", async () => {
    const settings = { branding: { display_name: 'Keep Me', primary_color: '#aa0000' }, limits: { max_items: 5000 }, features: { webhooks: true } }
    const created = await suite.api.createTenant({ name: 'Downgrader', plan: 'premium', settings })
    const response = await suite.client.post(tenantUrl(created.id, '/migrate'), { targetPlan: 'basic' })
    const migrated = expectOk(response)
    expect(migrated).toMatchObject({ plan: 'basic', settings })
    expect(migrated.configuration.limits).toMatchObject({ max_users: 100, max_items: 5000, api_requests_per_day: 1000 })
    expect(migrated.configuration.features).toMatchObject({ webhooks: true, advanced_analytics: false, custom_branding: false })
    const [row] = await ownerRows(suite.api, 'select plan, settings from tenants where id = $1', [created.id])
    expect(row).toEqual({ plan: 'basic', settings })
    const [audit] = await ownerRows(suite.api, `select metadata from platform_audit_log where action = 'tenant.plan_migrated' and target_id = $1`, [created.id])
    expect(audit!.metadata).toMatchObject({ target_plan: 'basic' })
  })

  it('refuses a downgrade the current members exceed with 409 plan_limit_exceeded naming max_users', async () => {
    const created = await suite.api.createTenant({ name: 'Crowded', plan: 'premium' })
    await addBulkMembers(created.id, 101)
    const body = expectProblem(await suite.client.post(tenantUrl(created.id, '/migrate'), { targetPlan: 'basic' }), 409, 'plan_limit_exceeded')
    expect(body).toMatchObject({ limit: 'max_users', target_plan: 'basic', limits: [{ limit: 'max_users', allowed: 100, current: 101 }] })
    expect(await ownerRows(suite.api, 'select plan from tenants where id = $1', [created.id])).toEqual([{ plan: 'premium' }])
    expect(await auditActions(suite.api, created.id)).toEqual(['tenant.created'])
    // An upgrade is fine, and so is a downgrade once an override makes room.
    expect(expectOk(await suite.client.post(tenantUrl(created.id, '/migrate'), { targetPlan: 'enterprise' })).plan).toBe('enterprise')
    expectOk(await suite.client.patch(tenantUrl(created.id), { settings: { limits: { max_users: 500 } } }))
    expect(expectOk(await suite.client.post(tenantUrl(created.id, '/migrate'), { targetPlan: 'basic' })).configuration.limits.max_users).toBe(500)
  })

  it('refuses a downgrade the current items exceed, naming max_items', async () => {
    const created = await suite.api.createTenant({ name: 'Stocked', plan: 'premium' })
    await ownerRows(suite.api, `insert into inventory_items (tenant_id, item_code, name) select $1, 'SKU-' || g, 'Item' from generate_series(1, 1001) g`, [created.id])
    const body = expectProblem(await suite.client.post(tenantUrl(created.id, '/migrate'), { targetPlan: 'basic' }), 409, 'plan_limit_exceeded')
    expect(body).toMatchObject({ limit: 'max_items', limits: [{ limit: 'max_items', allowed: 1000, current: 1001 }] })
  })

  it('refuses a missing or unknown target plan', async () => {
    const created = await suite.api.createTenant({ name: 'Planless' })
    for (const payload of [{}, { targetPlan: 'gold' }, { target_plan: 'premium' }]) {
      expectProblem(await suite.client.post(tenantUrl(created.id, '/migrate'), payload), 400, 'validation_failed')
    }
  })
})

describe('POST /:id/users (operators add members)', () => {
  let tenantId: string
  beforeAll(async () => {
    tenantId = (await suite.api.createTenant({ name: 'Staffed' })).id
  })
  const addUser = (payload: Record<string, unknown>, id = tenantId) => suite.client.post(tenantUrl(id, '/users'), payload)
  const membership = (userId: string) => ownerRows(suite.api, 'select status, r.name as role from tenant_users tu join roles r on r.id = tu.role_id where tenant_id = $1 and user_id = $2', [tenantId, userId])

  it('adds an existing user by id as an active member, who can then work in the tenant', async () => {
    const other = await suite.api.signUp()
    const body = expectOk(await addUser({ user_id: other.userId, role: 'Manager' }), 201)
    expect(body.member).toMatchObject({ user_id: other.userId, email: other.email, role: 'Manager', status: 'active' })
    expect(body.invitation_token).toBeUndefined()
    expect(await membership(other.userId)).toEqual([{ status: 'active', role: 'Manager' }])
    expect(await auditActions(suite.api, `${tenantId}:${other.userId}`)).toEqual(['member.added'])
    const token = expectOk(await login(other.email, tenantId)).token
    expectOk(await suite.api.app.inject({ url: '/api/v1/members', headers: bearer(token) }))
    expectProblem(await addUser({ user_id: other.userId, role: 'Analyst' }), 409, 'already_exists')
  })

  it('invites a new email with a one-time invitation token, by role_id', async () => {
    const [auditor] = await ownerRows<{ id: string }>(suite.api, `select id from roles where name = 'Auditor'`)
    const body = expectOk(await addUser({ email: 'New.Person@Example.test', role_id: auditor!.id }), 201)
    expect(body).toMatchObject({ member: { email: 'new.person@example.test', role: 'Auditor', status: 'invited' }, invitation_token: expect.any(String), invitation_expires_at: expect.any(String) })
    const [user] = await ownerRows<{ id: string; password_hash: string | null }>(suite.api, 'select id, password_hash from users where email = $1', ['new.person@example.test'])
    expect(user!.password_hash).toBeNull()
    expect(await countRows(suite.api, 'invitations', 'tenant_id = $1 and user_id = $2 and accepted_at is null', [tenantId, user!.id])).toBe(1)
    const accepted = await suite.api.app.inject({ method: 'POST', url: '/api/v1/auth/accept-invite', payload: { token: body.invitation_token, password: PASSWORD } })
    expect(expectOk(accepted).tenant.id).toBe(tenantId)
    expect(await membership(user!.id)).toEqual([{ status: 'active', role: 'Auditor' }])
  })

  it.each([
    ['both user_id and email', { user_id: '00000000-0000-4000-8000-000000000001', email: 'both@example.test', role: 'Analyst' }],
    ['neither user_id nor email', { role: 'Analyst' }],
    ['no role', { email: 'norole@example.test' }],
    ['an unknown role', { email: 'badrole@example.test', role: 'Overlord' }],
    ['a malformed email', { email: 'not-an-email', role: 'Analyst' }],
    ['an unknown field', { email: 'extra@example.test', role: 'Analyst', password: 'x' }],
  ])('refuses %s with 400 and adds no one', async (_what, payload) => {
    const before = await countRows(suite.api, 'tenant_users', 'tenant_id = $1', [tenantId])
    expectProblem(await addUser(payload), 400, 'validation_failed')
    expect(await countRows(suite.api, 'tenant_users', 'tenant_id = $1', [tenantId])).toBe(before)
  })

  it('answers 404 for an unknown user id and for a deleted tenant', async () => {
    expectProblem(await addUser({ user_id: '00000000-0000-4000-8000-000000000002', role: 'Analyst' }), 404, 'not_found')
    const gone = await suite.api.createTenant({ name: 'Gone' })
    expectOk(await suite.client.delete(tenantUrl(gone.id)))
    expectProblem(await addUser({ email: 'late@example.test', role: 'Analyst' }, gone.id), 404, 'not_found')
  })

  it('enforces max_users (403 quota_exceeded), counting invited members', async () => {
    const small = await suite.api.createTenant({ name: 'Tiny' })
    expectOk(await suite.client.patch(tenantUrl(small.id), { settings: { limits: { max_users: 2 } } }))
    expectOk(await addUser({ email: 'one@tiny.test', role: 'Admin' }, small.id), 201)
    expectOk(await addUser({ email: 'two@tiny.test', role: 'Analyst' }, small.id), 201)
    const body = expectProblem(await addUser({ email: 'three@tiny.test', role: 'Analyst' }, small.id), 403, 'quota_exceeded')
    expect(body).toMatchObject({ limit: 'max_users', allowed: 2 })
    expect(await countRows(suite.api, 'tenant_users', 'tenant_id = $1', [small.id])).toBe(2)
    expect(await countRows(suite.api, 'users', 'email = $1', ['three@tiny.test'])).toBe(0)
  })
  it('holds max_users under concurrent additions', async () => {
    const small = await suite.api.createTenant({ name: 'Rushed', settings: { limits: { max_users: 2 } } })
    const lock = { sql: 'select 1 from tenants where id = $1 for update', params: [small.id], waiters: 3 }
    const responses = await behindLock(suite.api, lock, () => Promise.all([1, 2, 3].map((i) => addUser({ email: `rush-${i}@rushed.test`, role: 'Analyst' }, small.id))))
    expect(responses.map((r) => r.statusCode).sort()).toEqual([201, 201, 403])
    expect(await countRows(suite.api, 'tenant_users', 'tenant_id = $1', [small.id])).toBe(2)
  })
})

describe('platform audit trail', () => {
  it('records every platform action on a tenant, as the platform, with the request id', async () => {
    const created = await suite.client.post('/api/v1/tenants', { name: 'Audited', slug: 'audited-co' })
    const id = expectOk(created, 201).id
    const responses = [created]
    for (const [method, url, payload] of [
      ['PATCH', tenantUrl(id), { name: 'Audited Co' }],
      ['POST', tenantUrl(id, '/suspend'), undefined],
      ['POST', tenantUrl(id, '/reactivate'), undefined],
      ['POST', tenantUrl(id, '/migrate'), { targetPlan: 'premium' }],
      ['DELETE', tenantUrl(id), undefined],
      ['DELETE', `${tenantUrl(id)}?purge=true`, undefined],
    ] as const) responses.push(await suite.client.call(method, url, payload))
    for (const response of responses) expect(response.statusCode, response.body).toBeLessThan(300)

    const rows = await ownerRows<{ action: string; actor_type: string; request_id: string }>(
      suite.api, 'select action, actor_type, request_id from platform_audit_log where target_id = $1 order by created_at', [id])
    expect(rows.map((row) => row.action)).toEqual([
      'tenant.created', 'tenant.updated', 'tenant.suspended', 'tenant.reactivated', 'tenant.plan_migrated', 'tenant.deleted', 'tenant.purged',
    ])
    expect(rows.map((row) => row.request_id)).toEqual(responses.map((response) => response.headers['x-request-id']))
    expect(new Set(rows.map((row) => row.actor_type))).toEqual(new Set(['platform']))
  })

  it('records nothing for a refused action', async () => {
    const created = await suite.api.createTenant({ name: 'Unchanged' })
    expectProblem(await suite.client.post(tenantUrl(created.id, '/reactivate')), 409, 'conflict')
    expectProblem(await suite.client.delete(`${tenantUrl(created.id)}?purge=true`), 409, 'conflict')
    expect(await auditActions(suite.api, created.id)).toEqual(['tenant.created'])
  })
})
