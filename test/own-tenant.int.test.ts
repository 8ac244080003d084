// PATCH /api/v1/tenant (DESIGN §9): a tenant's Admin renames their own tenant and changes its
// branding; plan limits, features and routing stay the operator's; nobody else's tenant moves.
import { describe, expect, it } from 'vitest'
import { bearer } from './support/api.ts'
import { expectOk, expectProblem, ownerRows, platformSuite } from './support/platform.ts'

const suite = platformSuite()

const patchOwn = (token: string, payload: unknown, headers: Record<string, string> = {}) =>
  suite.api.app.inject({ method: 'PATCH', url: '/api/v1/tenant', headers: { ...bearer(token), ...headers }, payload: payload as Record<string, unknown> })
const rowOf = async (tenantId: string) =>
  (await ownerRows<{ name: string; settings: Record<string, unknown> }>(suite.api, 'select name, settings from tenants where id = $1', [tenantId]))[0]!
const tenantAudit = (tenantId: string) =>
  ownerRows<{ action: string; actor_type: string; actor_id: string | null }>(suite.api, `select action, actor_type, actor_id from audit_log where tenant_id = $1 and action = 'tenant.updated'`, [tenantId])

describe('PATCH /api/v1/tenant', () => {
  it("renames the caller's tenant and sets its branding where the plan has custom_branding, audited as the Admin", async () => {
    const org = await suite.api.signUp()
    expectOk(await suite.client.post(`/api/v1/tenants/${org.tenantId}/migrate`, { targetPlan: 'premium' }))
    const branding = { display_name: 'Acme', primary_color: '#112233' }
    const updated = expectOk(await patchOwn(org.token, { name: '  Acme Renamed  ', settings: { branding } }))
    expect(updated).toMatchObject({ id: org.tenantId, name: 'Acme Renamed', settings: { branding } })
    expect(await rowOf(org.tenantId)).toMatchObject({ name: 'Acme Renamed', settings: { branding } })
    expect(await tenantAudit(org.tenantId)).toEqual([{ action: 'tenant.updated', actor_type: 'user', actor_id: org.userId }])

    // null takes the branding away again; GET shows what PATCH answered.
    expect(expectOk(await patchOwn(org.token, { settings: { branding: null } })).settings).not.toHaveProperty('branding')
    expect(expectOk(await suite.api.app.inject({ url: '/api/v1/tenant', headers: bearer(org.token) })).name).toBe('Acme Renamed')
  })

  it('refuses branding on a plan without custom_branding (403 feature_not_enabled), changing nothing', async () => {
    const org = await suite.api.signUp() // basic plan
    const before = await rowOf(org.tenantId)
    expectProblem(await patchOwn(org.token, { name: 'Other', settings: { branding: { display_name: 'X' } } }), 403, 'feature_not_enabled')
    expect(await rowOf(org.tenantId)).toEqual(before)
  })

  it.each([
    ['limits', { settings: { limits: { max_users: 1_000_000 } } }],
    ['features', { settings: { features: { webhooks: true } } }],
    ['password policy', { settings: { password_policy: { min_length: 8 } } }],
    ['subdomain', { settings: { subdomain: 'taken-over' } }],
    ['plan', { plan: 'enterprise' }],
    ['status', { status: 'active' }],
    ['nothing', {}],
    ['a blank name', { name: '   ' }],
  ])("refuses to change the operator's %s (400), changing nothing", async (_what, payload) => {
    const org = await suite.api.signUp()
    const before = await rowOf(org.tenantId)
    expectProblem(await patchOwn(org.token, payload), 400, 'validation_failed')
    expect(await rowOf(org.tenantId)).toEqual(before)
    expect(await tenantAudit(org.tenantId)).toEqual([])
  })

  it('needs settings:write: a Manager is refused naming it', async () => {
    const org = await suite.api.signUp()
    const manager = await suite.api.addMember(org.token, 'Manager')
    expect(expectProblem(await patchOwn(manager.token, { name: 'Mine now' }), 403, 'permission_denied').permission).toBe('settings:write')
    expect((await rowOf(org.tenantId)).name).not.toBe('Mine now')
  })

  it("cannot reach another tenant: naming it is tenant_mismatch, and that tenant's name stays", async () => {
    const mine = await suite.api.signUp()
    const theirs = await suite.api.signUp()
    const before = await rowOf(theirs.tenantId)
    expectProblem(await patchOwn(mine.token, { name: 'Hijacked' }, { 'x-tenant-id': theirs.tenantId }), 403, 'tenant_mismatch')
    expect(await rowOf(theirs.tenantId)).toEqual(before)
    expect((await rowOf(mine.tenantId)).name).not.toBe('Hijacked')
  })
})
