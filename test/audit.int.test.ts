// The tenant audit log through HTTP: entries written by real changes (who, from where, which
// request), secrets kept out, operators' changes in the tenant's log, filters and pagination,
// the NDJSON export and its permission, and isolation between tenants.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runWithTenant } from '../src/context/index.ts'
import { withTenant } from '../src/db/index.ts'
import { recordAudit } from '../src/modules/audit/index.ts'
import { bearer, createTestApi, PASSWORD, type TestApi } from './support/api.ts'
import { enableFeatures } from './support/domain.ts'
import { expectOk, expectProblem, ownerRows, platformClient } from './support/platform.ts'

const MASTER = Buffer.alloc(32, 9)
const SECRET_VALUE = 'sk-live-never-in-the-audit-log'

let api: TestApi
let admin: Awaited<ReturnType<TestApi['signUp']>>
let other: Awaited<ReturnType<TestApi['signUp']>>
let analystToken: string
let auditorToken: string

beforeAll(async () => {
  api = await createTestApi({ MASTER_KEY: MASTER.toString('base64') })
  admin = await api.signUp()
  other = await api.signUp()
  await enableFeatures(api, ['audit_export'], admin, other)
  analystToken = (await api.addMember(admin.token, 'Analyst')).token
  auditorToken = (await api.addMember(admin.token, 'Auditor')).token
})
afterAll(() => api?.close())

type Entry = { seq: number; actor_type: string; actor_id: string | null; action: string; resource_type: string; resource_id: string | null; request_id: string | null; ip: string | null; user_agent: string | null; changes: Record<string, unknown>; hash: string; prev_hash: string }

const putConfig = (token: string, key: string, payload: unknown, headers: Record<string, string> = {}) =>
  api.app.inject({ method: 'PUT', url: `/api/v1/config/${key}`, headers: { ...bearer(token), ...headers }, payload: payload as object })
const auditLogs = (token: string, query = '', headers: Record<string, string> = {}) => api.app.inject({ url: `/api/v1/audit-logs${query}`, headers: { ...bearer(token), ...headers } })
const entries = async (token: string, query = ''): Promise<Entry[]> => expectOk(await auditLogs(token, query)).data
const exportLines = async (token: string, query = '') => {
  const response = await api.app.inject({ url: `/api/v1/audit-logs/export${query}`, headers: bearer(token) })
  return { response, lines: response.body.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Entry) }
}

describe('entries written by changes', () => {
  it('record the actor, request id, ip and user agent of the request', async () => {
    const headers = { 'x-request-id': 'audit-req-0001', 'user-agent': 'audit-test/1.0', 'x-forwarded-for': '203.0.113.7' }
    expectOk(await putConfig(admin.token, 'feature.flags', { value: { beta: true, limit: 3 } }, headers))
    const [entry] = await entries(admin.token, '?action=config.written&resource_id=feature.flags')
    expect(entry).toMatchObject({
      actor_type: 'user', actor_id: admin.userId, action: 'config.written', resource_type: 'config', resource_id: 'feature.flags',
      request_id: 'audit-req-0001', ip: '203.0.113.7', user_agent: 'audit-test/1.0',
      changes: { key: 'feature.flags', encrypted: false, created: true },
    })
    expect(entry!.hash).toMatch(/^[0-9a-f]{64}$/)
  })

  it('come from member changes too, in the same transaction as the change', async () => {
    const headers = { ...bearer(admin.token), 'x-request-id': 'audit-req-0002', 'user-agent': 'audit-test/2.0' }
    const added = await api.app.inject({ method: 'POST', url: '/api/v1/members', headers, payload: { email: `m-${Date.now()}@example.test`, password: PASSWORD, role: 'Analyst' } })
    const userId = expectOk(added, 201).member.user_id
    expectOk(await api.app.inject({ method: 'PATCH', url: `/api/v1/members/${userId}`, headers, payload: { role: 'Manager' } }))
    const log = await entries(admin.token, `?resource_type=member&resource_id=${userId}`)
    expect(log.map((e) => [e.action, e.actor_id, e.request_id, e.user_agent, e.ip])).toEqual([
      ['member.updated', admin.userId, 'audit-req-0002', 'audit-test/2.0', '127.0.0.1'],
      ['member.added', admin.userId, 'audit-req-0002', 'audit-test/2.0', '127.0.0.1'],
    ])
    expect(log[0]!.changes).toMatchObject({ role: { from: 'Analyst', to: 'Manager' } })
    // A refused change leaves no entry: the entry commits with the change or not at all.
    const before = (await entries(admin.token, '?limit=1'))[0]!.seq
    expectProblem(await api.app.inject({ method: 'PATCH', url: `/api/v1/members/${admin.userId}`, headers, payload: { role: 'Analyst' } }), 409, 'last_admin')
    expect((await entries(admin.token, '?limit=1'))[0]!.seq).toBe(before)
  })

  it('name the fields a write changed, never the values; deletions are recorded too', async () => {
    expectOk(await putConfig(admin.token, 'mail', { value: { host: 'a.example', port: 25, tls: false } }))
    expectOk(await putConfig(admin.token, 'mail', { value: { host: 'b.example', port: 25, user: 'x' } }))
    const [latest] = await entries(admin.token, '?resource_id=mail&limit=1')
    expect(latest!.changes).toEqual({ key: 'mail', encrypted: false, created: false, changed_fields: ['host', 'tls', 'user'] })
    expect((await api.app.inject({ method: 'DELETE', url: '/api/v1/config/mail', headers: bearer(admin.token) })).statusCode).toBe(204)
    expect((await entries(admin.token, '?resource_id=mail')).map((e) => e.action)).toEqual(['config.deleted', 'config.written', 'config.written'])
  })

  it('keep secrets out: config values are never stored, and secret-looking keys are redacted', async () => {
    expectOk(await putConfig(admin.token, 'integrations', { value: { api_secret: SECRET_VALUE, password: SECRET_VALUE, region: 'eu' } }))
    expectOk(await putConfig(admin.token, 'smtp.password', { value: SECRET_VALUE, encrypted: true }))
    expectOk(await api.app.inject({ url: '/api/v1/config/smtp.password?reveal=true', headers: bearer(admin.token) }))
    const stored = await ownerRows<{ text: string }>(api, 'select changes::text as text from audit_log where tenant_id = $1', [admin.tenantId])
    expect(stored.length).toBeGreaterThan(0)
    for (const { text } of stored) {
      expect(text).not.toContain(SECRET_VALUE)
      expect(text).not.toContain(PASSWORD)
    }
    expect((await entries(admin.token, '?action=config.revealed'))[0]).toMatchObject({ resource_id: 'smtp.password', changes: { key: 'smtp.password' } })
    // Tenant settings are recorded as a diff: a secret-looking settings key would be redacted.
    const client = platformClient(api)
    expectOk(await client.patch(`/api/v1/tenants/${other.tenantId}`, { settings: { branding: { primary_color: '#112233' } } }))
    const [updated] = await entries(other.token, '?action=tenant.updated')
    expect(updated).toMatchObject({ actor_type: 'platform', changes: { fields: ['settings'], settings: { branding: { from: null, to: { primary_color: '#112233' } } } } })
  })

  it("put operators' lifecycle changes inside the tenant in the tenant's own log", async () => {
    const org = await api.signUp()
    const client = platformClient(api)
    expectOk(await client.post(`/api/v1/tenants/${org.tenantId}/suspend`))
    expectOk(await client.post(`/api/v1/tenants/${org.tenantId}/reactivate`))
    expectOk(await client.post(`/api/v1/tenants/${org.tenantId}/migrate`, { targetPlan: 'premium' }))
    const log = await entries(org.token, '?action=tenant.')
    expect(log.map((e) => [e.action, e.actor_type, e.resource_id])).toEqual([
      ['tenant.plan_migrated', 'platform', org.tenantId],
      ['tenant.reactivated', 'platform', org.tenantId],
      ['tenant.suspended', 'platform', org.tenantId],
    ])
    expect(log[0]!.changes).toMatchObject({ target_plan: 'premium', plan: { from: 'basic', to: 'premium' } })
    expect(log[2]!.changes).toMatchObject({ status: { from: 'active', to: 'suspended' } })
    // An operator's configuration write inside the tenant: a platform actor in the tenant's log.
    const asOperator = { method: 'PUT' as const, url: '/api/v1/config/ops.note', headers: { ...api.operator, 'x-tenant-id': org.tenantId }, payload: { value: 'x' } }
    expectOk(await api.app.inject(asOperator))
    expect((await entries(org.token, '?resource_id=ops.note'))[0]).toMatchObject({ actor_type: 'platform', actor_id: null })
  })

  it('cannot be read without audit:read', async () => {
    expectProblem(await auditLogs(analystToken), 403, 'permission_denied')
    expectOk(await auditLogs(auditorToken))
  })
})

describe('listing', () => {
  let org: Awaited<ReturnType<TestApi['signUp']>>
  beforeAll(async () => {
    org = await api.signUp()
    for (let i = 0; i < 11; i++) expectOk(await putConfig(org.token, `list.k${i}`, { value: i }))
    expect((await api.app.inject({ method: 'DELETE', url: '/api/v1/config/list.k0', headers: bearer(org.token) })).statusCode).toBe(204)
  })

  it('pages newest first with an opaque cursor, without gaps or repeats', async () => {
    const all = await entries(org.token, '?limit=200&action=config.')
    expect(all.length).toBe(12)
    const seen: number[] = []
    let cursor: string | null = null
    do {
      const page: { data: Entry[]; next_cursor: string | null } = expectOk(await auditLogs(org.token, `?limit=3&action=config.${cursor ? `&cursor=${cursor}` : ''}`))
      expect(page.data.length).toBeLessThanOrEqual(3)
      seen.push(...page.data.map((e) => e.seq))
      cursor = page.next_cursor
    } while (cursor)
    expect(seen).toEqual(all.map((e) => e.seq))
    expect(seen).toEqual([...seen].sort((a, b) => b - a))
    expectProblem(await auditLogs(org.token, '?cursor=not-a-cursor'), 400, 'validation_failed')
  })

  it('filters by action (exact or prefix), actor, resource and time range', async () => {
    expect((await entries(org.token, '?action=config.deleted')).map((e) => e.resource_id)).toEqual(['list.k0'])
    expect((await entries(org.token, '?action=config.*&limit=200')).length).toBe(12)
    expect(await entries(org.token, '?action=config')).toEqual([])
    expect((await entries(org.token, `?actor_type=user&actor_id=${org.userId}&limit=200`)).length).toBeGreaterThanOrEqual(12)
    expect(await entries(org.token, '?actor_type=api_key')).toEqual([])
    expect((await entries(org.token, '?resource_type=config&resource_id=list.k3')).map((e) => e.action)).toEqual(['config.written'])
    const [newest] = await entries(org.token, '?limit=1')
    const at = (await ownerRows<{ at: string }>(api, `select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at from audit_log where tenant_id = $1 and seq = $2`, [org.tenantId, newest!.seq]))[0]!.at
    expect((await entries(org.token, `?from=${encodeURIComponent(at)}&limit=200`)).map((e) => e.seq)).toContain(newest!.seq)
    expect((await entries(org.token, `?to=${encodeURIComponent(at)}&limit=200`)).map((e) => e.seq)).not.toContain(newest!.seq)
    expect(await entries(org.token, '?from=2999-01-01T00:00:00Z')).toEqual([])
    expectProblem(await auditLogs(org.token, '?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z'), 400, 'validation_failed')
    expectProblem(await auditLogs(org.token, '?from=yesterday'), 400, 'validation_failed')
    expectProblem(await auditLogs(org.token, '?actor_type=robot'), 400, 'validation_failed')
  })
})

describe('NDJSON export', () => {
  it('streams every matching entry oldest first, and is itself audited', async () => {
    const org = await api.signUp()
    await enableFeatures(api, ['audit_export'], org)
    for (let i = 0; i < 12; i++) expectOk(await putConfig(org.token, `export.k${i}`, { value: i }))
    const listed = await entries(org.token, '?limit=200')
    const { response, lines } = await exportLines(org.token)
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('application/x-ndjson; charset=utf-8')
    expect(lines.map((e) => e.seq)).toEqual(listed.map((e) => e.seq).reverse())
    expect(lines[lines.length - 1]).toEqual(listed[0])
    const [exported] = await entries(org.token, '?action=audit.exported')
    expect(exported).toMatchObject({ actor_type: 'user', actor_id: org.userId, changes: { through_seq: lines[lines.length - 1]!.seq } })
    expect((await exportLines(org.token, '?action=config.written&resource_id=export.k5')).lines.map((e) => e.resource_id)).toEqual(['export.k5'])
  })

  it('reads a log longer than one page (500 entries)', async () => {
    const org = await api.signUp()
    await enableFeatures(api, ['audit_export'], org)
    // Appended directly (as a job would): 1,100 HTTP requests would only make the test slow.
    await runWithTenant(org.tenantId, () =>
      withTenant(api.testDb.db, async (tx) => {
        for (let i = 0; i < 1100; i++) await recordAudit(tx, { action: 'bulk.item.created', resourceType: 'bulk_item', resourceId: String(i) })
      }),
    )
    const { lines } = await exportLines(org.token, '?action=bulk.')
    expect(lines.length).toBe(1100)
    expect(lines.map((e) => Number(e.resource_id))).toEqual(Array.from({ length: 1100 }, (_, i) => i))
    expect(lines[0]).toMatchObject({ actor_type: 'system', request_id: null })
  })

  it('needs audit:export', async () => {
    expectProblem(await api.app.inject({ url: '/api/v1/audit-logs/export', headers: bearer(analystToken) }), 403, 'permission_denied')
    expect((await exportLines(auditorToken)).response.statusCode).toBe(200)
  })
})

describe('isolation', () => {
  it("never shows another tenant's entries, whatever the filters", async () => {
    expectOk(await putConfig(other.token, 'only.other', { value: 1 }))
    expect(await entries(admin.token, '?resource_id=only.other')).toEqual([])
    expect(await entries(admin.token, `?actor_id=${other.userId}`)).toEqual([])
    const otherSeqs = (await entries(other.token, '?limit=200')).map((e) => e.hash)
    const adminSeqs = (await entries(admin.token, '?limit=200')).map((e) => e.hash)
    expect(adminSeqs.filter((hash) => otherSeqs.includes(hash))).toEqual([])
    expectProblem(await auditLogs(admin.token, '', { 'x-tenant-id': other.tenantId }), 403, 'tenant_mismatch')
    const { lines } = await exportLines(auditorToken)
    expect(lines.some((e) => e.resource_id === 'only.other' || e.actor_id === other.userId)).toBe(false)
  })
})
