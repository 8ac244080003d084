// Seed 004's configuration keys and the operator's configuration route (issue 18, item 11):
// the keys whose policy lives elsewhere are refused with the setting that drives it; the
// operator writes a tenant's configuration without selecting the tenant, audited as the platform
// in that tenant's log; the write body takes `is_encrypted`, as the answer and the table say.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, createTestApi, type TestApi } from './support/api.ts'
import { countRows, expectOk, expectProblem, ownerRows, UNKNOWN_ID } from './support/platform.ts'

const MASTER = Buffer.alloc(32, 9)
let api: TestApi
let org: Awaited<ReturnType<TestApi['signUp']>>
beforeAll(async () => {
  api = await createTestApi({ MASTER_KEY: MASTER.toString('base64') })
  org = await api.signUp()
})
afterAll(async () => {
  await api?.close()
})

const put = (key: string, payload: unknown, token = org.token) => api.app.inject({ method: 'PUT', url: `/api/v1/config/${key}`, headers: bearer(token), payload: payload as Record<string, unknown> })
const operatorPost = (tenantId: string, payload: unknown) => api.app.inject({ method: 'POST', url: `/api/v1/tenants/${tenantId}/config`, headers: api.operator, payload: payload as Record<string, unknown> })

describe("seed 004's reserved keys", () => {
  it.each([
    ['security.password_policy', { min_length: 12 }, 'settings.password_policy'],
    ['session.timeout', 3600, 'settings.limits.session_timeout_minutes'],
    ['api.rate_limit', 100, 'settings.limits.rate_limit_per_minute'],
    ['file_upload.max_size', 10_485_760, 'BODY_LIMIT_BYTES'],
  ])('%s (value %j) is refused with 400 reserved_config_key naming %s, and nothing is stored', async (key, value, setting) => {
    const body = expectProblem(await put(key, { value }), 400, 'reserved_config_key')
    expect(body).toMatchObject({ key, setting })
    expect(body.detail).toContain(setting)
    expectProblem(await operatorPost(org.tenantId, { key, value }), 400, 'reserved_config_key')
    expect(await countRows(api, 'tenant_configurations', 'tenant_id = $1 and key = $2', [org.tenantId, key])).toBe(0)
  })

  it('other keys are stored as before', async () => {
    expectOk(await put('security.banner', { value: 'hello' }))
  })
})

describe('is_encrypted in the write body', () => {
  it('stores the value encrypted, as the answer says', async () => {
    const written = expectOk(await put('smtp.password', { value: 'hunter2', is_encrypted: true }))
    expect(written).toMatchObject({ key: 'smtp.password', is_encrypted: true, value: null, masked: true })
    const [row] = await ownerRows<{ is_encrypted: boolean; value: unknown }>(api, 'select is_encrypted, value from tenant_configurations where tenant_id = $1 and key = $2', [org.tenantId, 'smtp.password'])
    expect(row).toMatchObject({ is_encrypted: true, value: null })
  })

  it('keeps `encrypted` as a deprecated alias; both with different values is a 400', async () => {
    expect(expectOk(await put('alias.secret', { value: 's', encrypted: true })).is_encrypted).toBe(true)
    expectProblem(await put('alias.both', { value: 's', encrypted: true, is_encrypted: false }), 400, 'validation_failed')
  })
})

describe('POST /api/v1/tenants/:id/config (operators)', () => {
  it("writes the tenant's configuration without selecting it, audited as the platform in the tenant's log", async () => {
    const written = expectOk(await operatorPost(org.tenantId, { key: 'billing.account', value: { id: 'acct-1' } }))
    expect(written).toMatchObject({ key: 'billing.account', value: { id: 'acct-1' }, is_encrypted: false })
    expect(expectOk(await api.app.inject({ url: '/api/v1/config/billing.account', headers: bearer(org.token) })).value).toEqual({ id: 'acct-1' })
    const [entry] = await ownerRows<{ actor_type: string; action: string }>(api, "select actor_type, action from audit_log where tenant_id = $1 and resource_id = 'billing.account'", [org.tenantId])
    expect(entry).toEqual({ actor_type: 'platform', action: 'config.written' })
    expect(await countRows(api, 'platform_audit_log', "action = 'config.written' and target_id = $1", [`${org.tenantId}:billing.account`])).toBe(1)
  })

  it('takes is_encrypted, and lists the configuration masked (GET)', async () => {
    expectOk(await operatorPost(org.tenantId, { key: 'partner.token', value: 'tok', is_encrypted: true }))
    const listed = expectOk(await api.app.inject({ url: `/api/v1/tenants/${org.tenantId}/config?limit=100`, headers: api.operator }))
    expect(listed.data.find((entry: { key: string }) => entry.key === 'partner.token')).toMatchObject({ is_encrypted: true, value: null, masked: true })
    expect(listed.data.some((entry: { key: string }) => entry.key === 'billing.account')).toBe(true)
  })

  it('is for operators only, 404 for an unknown tenant, 400 for a bad key', async () => {
    expectProblem(await api.app.inject({ method: 'POST', url: `/api/v1/tenants/${org.tenantId}/config`, headers: bearer(org.token), payload: { key: 'x.y', value: 1 } }), 403, 'forbidden')
    expectProblem(await operatorPost(UNKNOWN_ID, { key: 'x.y', value: 1 }), 404, 'not_found')
    expectProblem(await operatorPost(org.tenantId, { key: 'Bad Key', value: 1 }), 400, 'validation_failed')
    expectProblem(await operatorPost(org.tenantId, { value: 1 }), 400, 'validation_failed')
  })
})
