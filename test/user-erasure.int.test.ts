// GDPR erasure of a user (DESIGN §13, D56) through the platform route, on a real database: every
// membership goes, each in its tenant's audit log; nothing left in any table names the person;
// tenants keep an Admin; a second call, or one finishing a half-done erasure, is safe.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { bearer, PASSWORD } from './support/api.ts'
import { ownerQuery } from './support/domain.ts'
import { expectOk, expectProblem, platformSuite, UNKNOWN_ID } from './support/platform.ts'

const suite = platformSuite()

const erase = (userId: string) => suite.client.post(`/api/v1/users/${userId}/erase`)
const membershipsOf = async (userId: string) =>
  (await ownerQuery<{ tenant_id: string }>(suite.api, 'select tenant_id from tenant_users where user_id = $1 order by tenant_id', [userId])).map((row) => row.tenant_id)
const userRow = async (userId: string) => (await ownerQuery<Record<string, unknown>>(suite.api, 'select * from users where id = $1', [userId]))[0]!

/** Joins an existing user (no password: they already have an account) to the tenant of adminToken. */
async function join(adminToken: string, email: string, role: string): Promise<void> {
  expectOk(await suite.api.app.inject({ method: 'POST', url: '/api/v1/members', headers: bearer(adminToken), payload: { email, role } }), 201)
}

/** Every row of every table in the schema as text, as the owner (RLS off), in which a value is searched. */
async function everyRowContaining(text: string): Promise<string[]> {
  const tables = await ownerQuery<{ tablename: string }>(suite.api, "select tablename from pg_tables where schemaname = 'public' order by tablename")
  const found: string[] = []
  for (const { tablename } of tables) {
    const rows = await ownerQuery<{ n: number }>(suite.api, `select count(*)::int as n from ${tablename} t where strpos(lower(t::text), lower($1)) > 0`, [text])
    if (rows[0]!.n > 0) found.push(tablename)
  }
  return found
}

describe('POST /api/v1/users/:id/erase', () => {
  it('removes every membership, scrubs the user row and leaves the person nowhere in the database', async () => {
    const first = await suite.api.signUp()
    const second = await suite.api.signUp()
    const name = `Erin Erasable ${Date.now()}`
    const member = await suite.api.addMember(first.token, 'Admin')
    await ownerQuery(suite.api, 'update users set name = $2 where id = $1', [member.userId, name])
    await join(second.token, member.email, 'Analyst')
    // A key the member created is the tenant's: it keeps working, attributed to the bare id.
    const key = expectOk(await suite.api.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: bearer(member.token), payload: { name: 'Made by the member', permissions: ['inventory:read'] } }), 201)
    expect(await membershipsOf(member.userId)).toEqual([first.tenantId, second.tenantId].sort())
    expectOk(await suite.api.app.inject({ url: '/api/v1/members', headers: bearer(member.token) }))
    expect(await everyRowContaining(member.email)).toEqual(['users']) // the search finds the person before
    expect(await everyRowContaining(name)).toEqual(['users'])

    const erased = expectOk(await erase(member.userId))
    expect(erased).toEqual({ id: member.userId, status: 'erased', erased_at: expect.any(String), tenants: [first.tenantId, second.tenantId].sort() })

    expect(await membershipsOf(member.userId)).toEqual([])
    expect(await userRow(member.userId)).toMatchObject({
      email: `erased-${member.userId}@erased.invalid`, name: null, password_hash: null, last_login_at: null,
      default_tenant_id: null, is_platform_admin: false, status: 'erased', erased_at: expect.any(Date),
    })
    // The person's email and name are nowhere, in any table (the bare id stays, in audit entries).
    expect(await everyRowContaining(member.email)).toEqual([])
    expect(await everyRowContaining(name)).toEqual([])

    expectOk(await suite.api.app.inject({ url: '/api/v1/inventory', headers: bearer(key.key) }))
    expect((await ownerQuery(suite.api, 'select created_by from api_keys where id = $1', [key.id]))[0]).toEqual({ created_by: member.userId })

    // Their token stops working at once, and the old credentials no longer log in.
    expectProblem(await suite.api.app.inject({ url: '/api/v1/members', headers: bearer(member.token) }), 403, 'account_disabled')
    expectProblem(await suite.api.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: member.email, password: PASSWORD } }), 401, 'invalid_credentials')

    // Each tenant's audit log records the erasure and its hash chain still verifies.
    for (const org of [first, second]) {
      const entries = await ownerQuery<{ action: string; actor_type: string }>(suite.api, "select action, actor_type from audit_log where tenant_id = $1 and resource_id = $2 and action = 'member.erased'", [org.tenantId, member.userId])
      expect(entries).toEqual([{ action: 'member.erased', actor_type: 'platform' }])
      expect(expectOk(await suite.api.app.inject({ url: '/api/v1/audit-logs/verify', headers: bearer(org.token) })).ok).toBe(true)
    }
    const platformLog = await ownerQuery<{ action: string }>(suite.api, "select action from platform_audit_log where target_id = $1 order by created_at, id", [member.userId])
    expect(platformLog.map((entry) => entry.action)).toEqual(['user.erased'])

    // The address is free again: the person can start over as a new user.
    const again = expectOk(await suite.api.app.inject({ method: 'POST', url: '/api/v1/auth/register-organization', payload: { organization_name: `Again ${Date.now()}`, admin_email: member.email, admin_password: PASSWORD } }), 201)
    expect(again.user.id).not.toBe(member.userId)
  })

  it('answers a second call with the first erasure, changing nothing', async () => {
    const org = await suite.api.signUp()
    const member = await suite.api.addMember(org.token, 'Analyst')
    const first = expectOk(await erase(member.userId))
    const second = expectOk(await erase(member.userId))
    expect(second).toEqual({ ...first, tenants: [] })
    const entries = await ownerQuery(suite.api, "select 1 from audit_log where resource_id = $1 and action = 'member.erased'", [member.userId])
    expect(entries).toHaveLength(1)
  })

  it('finishes an erasure that stopped half-way (disabled, one membership already gone)', async () => {
    const first = await suite.api.signUp()
    const second = await suite.api.signUp()
    const member = await suite.api.addMember(first.token, 'Analyst')
    await join(second.token, member.email, 'Analyst')
    await ownerQuery(suite.api, "update users set status = 'disabled' where id = $1", [member.userId])
    await ownerQuery(suite.api, 'delete from tenant_users where tenant_id = $1 and user_id = $2', [first.tenantId, member.userId])

    expect(expectOk(await erase(member.userId)).tenants).toEqual([second.tenantId])
    expect(await membershipsOf(member.userId)).toEqual([])
    expect((await userRow(member.userId)).status).toBe('erased')
  })

  it("refuses, changing nothing, to leave a tenant without an active Admin; erases once there is another", async () => {
    const org = await suite.api.signUp()
    const other = await suite.api.signUp()
    await join(other.token, org.email, 'Manager') // a second tenant where they are not needed
    const before = await userRow(org.userId)

    const refused = expectProblem(await erase(org.userId), 409, 'last_admin')
    expect(refused.tenants).toEqual([org.tenantId])
    expect(await userRow(org.userId)).toEqual(before)
    expect(await membershipsOf(org.userId)).toEqual([org.tenantId, other.tenantId].sort())
    expectOk(await suite.api.app.inject({ url: '/api/v1/members', headers: bearer(org.token) }))

    await suite.api.addMember(org.token, 'Admin')
    expect(expectOk(await erase(org.userId)).tenants).toEqual([org.tenantId, other.tenantId].sort())
  })

  it("erases the only Admin of a deleted tenant: nobody is left to administer it", async () => {
    const org = await suite.api.signUp()
    expectOk(await suite.client.delete(`/api/v1/tenants/${org.tenantId}`))
    expect(expectOk(await erase(org.userId)).tenants).toEqual([org.tenantId])
    expect(await membershipsOf(org.userId)).toEqual([])
  })

  it('is for the platform only, and answers bad ids before changing anything', async () => {
    const org = await suite.api.signUp()
    const member = await suite.api.addMember(org.token, 'Analyst')
    expectProblem(await suite.api.app.inject({ method: 'POST', url: `/api/v1/users/${member.userId}/erase` }), 401, 'unauthorized')
    expectProblem(await suite.api.app.inject({ method: 'POST', url: `/api/v1/users/${member.userId}/erase`, headers: bearer(org.token) }), 403, 'forbidden')
    expectProblem(await suite.api.app.inject({ method: 'POST', url: `/api/v1/users/${member.userId}/erase`, headers: bearer(member.token) }), 403, 'forbidden')
    expectProblem(await erase(UNKNOWN_ID), 404, 'not_found')
    expectProblem(await erase('not-a-uuid'), 400, 'validation_failed')
    expect((await userRow(member.userId)).status).toBe('active')
    expect(await membershipsOf(member.userId)).toEqual([org.tenantId])
  })

  it('an erased user cannot be added back, by id or by the placeholder address', async () => {
    const org = await suite.api.signUp()
    const member = await suite.api.addMember(org.token, 'Analyst')
    expectOk(await erase(member.userId))
    expectProblem(await suite.client.post(`/api/v1/tenants/${org.tenantId}/users`, { user_id: member.userId, role: 'Analyst' }), 404, 'not_found')
    // Nor by the placeholder address the erasure left in the row.
    const placeholder = `erased-${member.userId}@erased.invalid`
    const byEmail = await suite.api.app.inject({ method: 'POST', url: '/api/v1/members', headers: bearer(org.token), payload: { email: placeholder, role: 'Analyst' } })
    expect(byEmail.statusCode, byEmail.body).toBe(400)
    expect(await membershipsOf(member.userId)).toEqual([])
  })
})

describe('erasure leaves everyone else as they were (property)', () => {
  it('erasing any subset of people removes exactly their memberships and rows, nobody else\'s', async () => {
    // Three tenants whose founders stay their Admins; each round four new people, members of the
    // first tenant and of one of the two others with a random role (Admins included).
    const orgs = [await suite.api.signUp(), await suite.api.signUp(), await suite.api.signUp()]
    const people: { userId: string; email: string }[] = []
    for (let i = 0; i < 4; i++) {
      const person = await suite.api.addMember(orgs[0]!.token, 'Analyst')
      people.push({ userId: person.userId, email: person.email })
    }
    const roles = ['Admin', 'Manager', 'Analyst', 'Auditor']
    const snapshot = async () => ({
      users: await ownerQuery(suite.api, 'select id, email, name, status from users where id = any($1::uuid[]) order by id', [[...orgs.map((o) => o.userId), ...people.map((p) => p.userId)]]),
      memberships: await ownerQuery<{ tenant_id: string; user_id: string }>(suite.api, 'select tenant_id, user_id, role_id, status from tenant_users where tenant_id = any($1::uuid[]) order by tenant_id, user_id', [orgs.map((o) => o.tenantId)]),
    })

    let round = 0
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 2 }), fc.constantFrom(...roles)), { minLength: 4, maxLength: 4 }),
        fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
        async (placements, chosen) => {
          // Fresh people each round (erased ones cannot come back), placed in tenant 0 and one other.
          round += 1
          for (let i = 0; i < people.length; i++) {
            const person = await suite.api.addMember(orgs[0]!.token, 'Analyst', `p${i}-r${round}-${Date.now()}@example.test`)
            people[i] = { userId: person.userId, email: person.email }
            const [tenant, role] = placements[i]!
            await join(orgs[tenant]!.token, person.email, role)
          }
          const before = await snapshot()
          const erasedIds = people.filter((_, i) => chosen[i]).map((p) => p.userId)
          for (const id of erasedIds) expectOk(await erase(id))
          const after = await snapshot()

          const kept = (row: { user_id?: string; id?: string }) => !erasedIds.includes((row.user_id ?? row.id)!)
          expect(after.memberships).toEqual(before.memberships.filter(kept))
          expect(after.users.filter(kept)).toEqual(before.users.filter(kept))
          for (const id of erasedIds) expect(after.users.find((u) => (u as { id: string }).id === id)).toMatchObject({ status: 'erased', name: null })
        },
      ),
      { numRuns: 6 },
    )
  }, 120_000)
})
