// What request traffic's role may do outside a tenant's rows (docs/decisions.md D73), proved as
// an attacker holding that role would try it: plain SQL with no tenant context, over its own
// login on PostgreSQL (pg, as psql would), SET ROLE on PGlite. Then what the owner could still
// do to the audit log, and what verification says about it.
import pg from 'pg'
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkAppRole } from '../src/db/index.ts'
import { ensurePlatformAdmin } from '../src/modules/users/platform-admins.ts'
import { bearer, createTestApi, PASSWORD, type TestApi } from './support/api.ts'
import { expectOk, expectProblem, ownerRows } from './support/platform.ts'
import { APP_ROLE, serverUrl } from './support/test-env.ts'

// Platform admins get the strictest password policy.
const STRONG_PASSWORD = `${PASSWORD} ÄÖ 9!`
let api: TestApi
let org: Awaited<ReturnType<TestApi['signUp']>>
let admin: { id: string; email: string }
beforeAll(async () => {
  api = await createTestApi()
  org = await api.signUp()
  const email = `operator-${randomUUID().slice(0, 8)}@example.test`
  admin = { email, id: (await ensurePlatformAdmin(api.testDb.db, email, STRONG_PASSWORD, { existingPassword: 'refuse' })).id }
  // Something in the tenant's log to lose.
  for (let i = 0; i < 3; i++) {
    expectOk(await api.app.inject({ method: 'POST', url: '/api/v1/inventory', headers: bearer(org.token), payload: { item_code: `I-${i}`, name: 'thing' } }), 201)
  }
})
afterAll(() => api?.close())

/** One statement as the app role, with no tenant: a login of its own on PostgreSQL, SET ROLE on PGlite. */
async function asAppRole(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  if (!serverUrl()) return (await api.testDb.db.systemTransaction((tx) => tx.query(sql, params))).rows
  const url = new URL(api.testDb.config.DATABASE_URL!)
  url.username = APP_ROLE
  url.password = ''
  const client = new pg.Client({ connectionString: url.toString() })
  await client.connect()
  try {
    expect((await client.query('select current_user as who')).rows).toEqual([{ who: APP_ROLE }])
    return (await client.query(sql, params)).rows
  } finally {
    await client.end()
  }
}

const refused = (sql: string, params: unknown[] = []) => expect(asAppRole(sql, params), sql).rejects.toMatchObject({ code: '42501' })
const verify = async () => expectOk(await api.app.inject({ url: '/api/v1/audit-logs/verify', headers: bearer(org.token) }))

describe('the app role', () => {
  it('makes no one a platform operator and reads no password hash', async () => {
    await refused('update users set is_platform_admin = true where email = $1', [org.email])
    await refused("insert into users (email, is_platform_admin) values ('sneaky@example.test', true)")
    await refused('select password_hash from users')
    await refused('select * from users')
    await refused("update users set status = 'active' where id = $1", [admin.id])
    // A platform admin's password would give its setter the operator's powers.
    await refused("update users set password_hash = 'known' where id = $1", [admin.id])
    expect(await ownerRows(api, 'select is_platform_admin from users where email = $1', [org.email])).toEqual([{ is_platform_admin: false }])
    // What it may read: one account's hash for the email typed at login, and no columns beyond.
    expect(await asAppRole('select count(*)::int as n from tenantry_login_lookup($1) where password_hash like $2', [org.email, '$argon2id$%'])).toEqual([{ n: 1 }])
    expect(await asAppRole('select email, has_password, is_platform_admin from users where id = $1', [admin.id])).toEqual([{ email: admin.email, has_password: true, is_platform_admin: true }])
  })

  it('reads tenants and changes none of them', async () => {
    await refused("update tenants set status = 'deleted' where id = $1", [org.tenantId])
    await refused("update tenants set plan = 'enterprise', settings = '{}' where id = $1", [org.tenantId])
    await refused("insert into tenants (slug, name, status) values ('sneaky-tenant', 'x', 'active')")
    await refused('delete from tenants where id = $1', [org.tenantId])
    expect(await asAppRole('select status from tenants where id = $1 for no key update', [org.tenantId])).toEqual([{ status: 'active' }])
  })

  it('removes no audit history and rewrites no platform history', async () => {
    const before = await verify()
    expect(before).toMatchObject({ ok: true, head_seq: expect.any(Number) })
    expect(before.head_seq).toBeGreaterThan(0)
    await refused('select tenantry_erase_tenant_logs($1)', [org.tenantId])
    await refused("select tenantry_purge_audit_log($1, now() - interval '100 days')", [org.tenantId])
    for (const table of ['audit_log', 'audit_chain_heads', 'audit_chain_witnesses', 'rbac_audit_log', 'platform_audit_log']) {
      await refused(`delete from ${table}`)
      await refused(`truncate ${table}`)
    }
    await refused('update audit_chain_heads set purged_through_seq = 0')
    await refused('update audit_chain_witnesses set last_seq = 0')
    await refused("update platform_audit_log set action = 'nothing.happened'")
    await refused('select * from platform_audit_log')
    await refused('select * from schema_migrations')
    await refused("insert into schema_migrations (version, name, checksum) values ('9999', 'x', 'x')")
    await refused("update roles set name = 'Owner' where name = 'Admin'")
    await refused("insert into role_permissions (role_id, permission) select id, 'tenant:export' from roles where name = 'Analyst'")
    await refused("delete from permissions where name = 'audit:read'")
    expect(await verify()).toEqual(before)
  })
})

it('an invitation sets no password on a platform admin: a clear refusal, and the invitation still works once the operator set one', async () => {
  const email = `promoted-${randomUUID().slice(0, 8)}@example.test`
  const added = expectOk(await api.app.inject({ method: 'POST', url: '/api/v1/members', headers: bearer(org.token), payload: { email, role: 'Analyst' } }), 201)
  await ensurePlatformAdmin(api.testDb.db, email, undefined, { existingPassword: 'keep' })
  const accept = () => api.app.inject({ method: 'POST', url: '/api/v1/auth/accept-invite', payload: { token: added.invitation_token, password: STRONG_PASSWORD } })
  expect(expectProblem(await accept(), 409, 'conflict').detail).toMatch(/platform admin without a password/)
  await ensurePlatformAdmin(api.testDb.db, email, STRONG_PASSWORD, { existingPassword: 'reset' })
  expectOk(await accept())
})

describe('the erase function', () => {
  it('refuses, even for the owner, a tenant that is not deleted, or one outside its own context', async () => {
    const erase = (context: string) =>
      api.testDb.db.ownerTransaction(context, (tx) => tx.query('select tenantry_erase_tenant_logs($1)', [org.tenantId]))
    await expect(erase(org.tenantId)).rejects.toMatchObject({ code: '55000' })
    await expect(erase(randomUUID())).rejects.toMatchObject({ code: '42501' })
    expect((await verify()).ok).toBe(true)
  })
})

describe('verify, after the owner (more power than the app role) removed entries', () => {
  /** A new tenant with n entries, whose log the owner then tampers with. */
  async function tenantWithLog(n: number): Promise<{ tenantId: string; verify: () => Promise<Record<string, unknown>> }> {
    const tenant = await api.signUp()
    for (let i = 0; i < n; i++) {
      expectOk(await api.app.inject({ method: 'POST', url: '/api/v1/inventory', headers: bearer(tenant.token), payload: { item_code: `I-${i}`, name: 'thing' } }), 201)
    }
    return { tenantId: tenant.tenantId, verify: async () => expectOk(await api.app.inject({ url: '/api/v1/audit-logs/verify', headers: bearer(tenant.token) })) }
  }
  const owner = (sql: string, params: unknown[]) => ownerRows(api, sql, params)

  it('is not ok once every entry and the chain head are gone (what the erase function did)', async () => {
    const { tenantId, verify } = await tenantWithLog(3)
    await owner('delete from audit_log where tenant_id = $1', [tenantId])
    await owner('delete from audit_chain_heads where tenant_id = $1', [tenantId])
    expect(await verify()).toMatchObject({ ok: false, checked: 0, first_bad_seq: 1, reason: expect.stringMatching(/chain head is missing.*up to seq \d+/) })
  })

  it('is not ok once the tail is gone and the head moved back onto what is left', async () => {
    const { tenantId, verify } = await tenantWithLog(3)
    await owner('delete from audit_log where tenant_id = $1 and seq > 2', [tenantId])
    await owner('update audit_chain_heads h set last_seq = 2, last_hash = (select hash from audit_log where tenant_id = $1 and seq = 2) where tenant_id = $1', [tenantId])
    expect(await verify()).toMatchObject({ ok: false, checked: 2, first_bad_seq: 3, reason: expect.stringMatching(/chain head \(seq 2\) is not where the last append left it/) })
  })

  it('is not ok once the oldest entries are gone behind an anchor no purge recorded', async () => {
    const { tenantId, verify } = await tenantWithLog(3)
    await owner('delete from audit_log where tenant_id = $1 and seq <= 2', [tenantId])
    await owner('update audit_chain_heads set purged_through_seq = 2, purged_through_hash = prev_hash from audit_log a where a.tenant_id = $1 and a.seq = 3 and audit_chain_heads.tenant_id = $1', [tenantId])
    expect(await verify()).toMatchObject({ ok: false, first_bad_seq: 3, reason: expect.stringMatching(/purge anchor \(seq 2\) is not where the last purge left it \(seq 0\)/) })
  })
})

it('the production start check names a platform privilege granted to the app role', async () => {
  expect(await checkAppRole(api.testDb.db)).toEqual([])
  await ownerRows(api, `grant update (is_platform_admin) on users to ${APP_ROLE}`)
  try {
    expect(await checkAppRole(api.testDb.db)).toEqual([expect.stringMatching(/holds UPDATE on users\.is_platform_admin, which lets request traffic act as the platform/)])
  } finally {
    await ownerRows(api, `revoke update (is_platform_admin) on users from ${APP_ROLE}`)
  }
})
