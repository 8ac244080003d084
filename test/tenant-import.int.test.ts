// DESIGN §13 "import into an empty tenant": an export goes back into a new, empty tenant in one
// transaction. The imported tenant holds the source's data (secrets aside, as docs/decisions.md
// D57 says), the source and every other tenant are untouched, and a bad file, a tenant that is not
// empty or a caller who is not the platform changes nothing at all.
import { randomBytes, randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportedTables } from '../src/modules/export/export-plan.ts'
import { roleNameSkeleton } from '../src/modules/rbac/index.ts'
import { bearer, createTestApi, PASSWORD, type TestApi } from './support/api.ts'
import { call, code, createItem, createOrder, newOrg, ownerQuery, type Org } from './support/domain.ts'
import { exportOf, importInto, lines, ndjson, tenantFootprint, type Line } from './support/tenant-import.ts'

let api: TestApi
let source: Org
let third: Org
let file: string
let sourceRows: Record<string, number>
let customRole: string
let invitedEmail: string
let adminEmail: string

beforeAll(async () => {
  api = await createTestApi({ MASTER_KEY: randomBytes(32).toString('base64') })
  const admin = await api.signUp()
  adminEmail = admin.email
  source = { tenantId: admin.tenantId, token: admin.token, headers: bearer(admin.token) }
  third = await newOrg(api)
  await call(api, api.operator, 'POST', `/api/v1/tenants/${source.tenantId}/migrate`, { targetPlan: 'premium' })

  // A little of everything: a subscribed webhook (a delivery still due), items, an order, stock
  // moves, members with system and custom roles, an invited member, keys, plain and encrypted configuration.
  const endpoint = await call(api, source.headers, 'POST', '/api/v1/webhooks', { name: 'receiver', url: 'http://127.0.0.1:9/in', events: ['*'], headers: { Authorization: 'Bearer x' } })
  expect(endpoint.statusCode, endpoint.body).toBe(201)
  const item = await createItem(api, source, { quantity: 10, unit_cost: 2.5 })
  await createItem(api, source, { name: 'Gadget', quantity: 3 })
  expect((await createOrder(api, source, [{ item_id: item.id, quantity: 2, unit_price: 4.25 }], { customer_name: 'Ada' })).statusCode).toBe(201)
  expect((await call(api, source.headers, 'POST', `/api/v1/inventory/${item.id}/adjustments`, { delta: 5, reason: 'restock' })).statusCode).toBeLessThan(300)
  await api.addMember(source.token, 'Analyst')
  customRole = `Packer ${code()}`
  expect((await call(api, source.headers, 'POST', '/api/v1/roles', { name: customRole, permissions: ['inventory:read', 'orders:read'] })).statusCode).toBe(201)
  await api.addMember(source.token, customRole)
  invitedEmail = `invited-${code()}@example.test`
  expect((await call(api, source.headers, 'POST', '/api/v1/members', { email: invitedEmail, role: 'Manager' })).statusCode).toBe(201)
  expect((await call(api, source.headers, 'POST', '/api/v1/api-keys', { name: 'robot', role: 'Analyst' })).statusCode).toBe(201)
  expect((await call(api, source.headers, 'PUT', '/api/v1/config/theme', { value: { color: 'teal' } })).statusCode).toBeLessThan(300)
  expect((await call(api, source.headers, 'PUT', '/api/v1/config/smtp.password', { value: 'hunter2', encrypted: true })).statusCode).toBeLessThan(300)
  await createItem(api, third)

  file = await exportOf(api, source.tenantId)
  sourceRows = lines(file).at(-1)!.rows!
})
afterAll(async () => {
  await api?.close()
})

/** Rows of a tenant table without tenant_id, in a stable order, for comparing two tenants. */
const rowsOf = (table: string, tenantId: string, order: string) =>
  ownerQuery<Record<string, unknown>>(api, `select * from ${table} where tenant_id = $1 order by ${order}`, [tenantId]).then((rows) => rows.map(({ tenant_id: _, ...row }) => row))

describe('an export imported into a new tenant', () => {
  let target: { id: string; slug: string }
  let summary: Record<string, any>
  let sourceBefore: Record<string, string>
  let thirdBefore: Record<string, string>

  beforeAll(async () => {
    target = await api.createTenant()
    sourceBefore = await tenantFootprint(api, source.tenantId, { global: false })
    thirdBefore = await tenantFootprint(api, third.tenantId, { global: false })
    const response = await importInto(api, target.id, file)
    expect(response.statusCode, response.body).toBe(200)
    summary = response.json()
  })

  it('answers what went in, table by table, and what was skipped or changed', () => {
    expect(summary.tenant).toEqual({ id: target.id, slug: target.slug })
    expect(summary.source).toMatchObject({ tenant_id: source.tenantId, format_version: 1 })
    expect(summary.sha256).toMatch(/^[0-9a-f]{64}$/)
    for (const table of ['users', 'tenant_roles', 'tenant_users', 'inventory_items', 'orders', 'order_lines', 'inventory_adjustments', 'api_keys', 'webhook_endpoints', 'webhook_deliveries']) {
      expect(summary.rows[table], table).toBe(sourceRows[table])
    }
    expect(summary.users).toEqual({ matched: 4, created: 0 }) // one deployment: every member exists
    expect(summary.rows.tenant_configurations).toBe(sourceRows.tenant_configurations! - 1)
    expect(summary.skipped.tenant_configurations).toMatchObject({ rows: 1, keys: ['smtp.password'] })
    for (const table of ['audit_log', 'audit_chain_heads', 'invitations']) expect(summary.skipped[table]?.rows, table).toBe(sourceRows[table])
    const changed = Object.fromEntries(summary.changed.map((c: { table: string; rows: number }) => [c.table, c.rows]))
    expect(changed).toMatchObject({ api_keys: 1, webhook_endpoints: 1, webhook_deliveries: sourceRows.webhook_deliveries })
  })

  it('holds the same data: items, orders, lines, stock moves, roles, memberships', async () => {
    const same: [string, string][] = [
      ['inventory_items', 'id'], ['orders', 'id'], ['order_lines', 'order_id, line_no'], ['inventory_adjustments', 'id'],
      ['tenant_roles', 'id'], ['tenant_role_permissions', 'role_id, permission'], ['domain_events', 'id'], ['webhook_delivery_attempts', 'id'],
    ]
    for (const [table, order] of same) expect(await rowsOf(table, target.id, order), table).toEqual(await rowsOf(table, source.tenantId, order))
    const members = (tenantId: string) => ownerQuery(api, 'select user_id, role_id, custom_role_id, status from tenant_users where tenant_id = $1 order by user_id', [tenantId])
    expect(await members(target.id)).toEqual(await members(source.tenantId))
    const plain = (tenantId: string) => ownerQuery(api, 'select key, value from tenant_configurations where tenant_id = $1 and not is_encrypted order by key', [tenantId])
    expect(await plain(target.id)).toEqual(await plain(source.tenantId))
  })

  it('brings no working secret: keys revoked, webhooks disabled with a new secret, due deliveries dead-lettered', async () => {
    const [key] = await ownerQuery<{ revoked_at: Date | null; key_hash: Buffer }>(api, 'select revoked_at, key_hash from api_keys where tenant_id = $1', [target.id])
    const [sourceKey] = await ownerQuery<{ key_hash: Buffer }>(api, 'select key_hash from api_keys where tenant_id = $1', [source.tenantId])
    expect(key!.revoked_at).not.toBeNull()
    expect(Buffer.compare(key!.key_hash, sourceKey!.key_hash)).not.toBe(0)
    const [endpoint] = await ownerQuery<{ status: string; secret: string; headers: unknown }>(api, 'select status, secret, headers from webhook_endpoints where tenant_id = $1', [target.id])
    const [sourceEndpoint] = await ownerQuery<{ secret: string }>(api, 'select secret from webhook_endpoints where tenant_id = $1', [source.tenantId])
    expect(endpoint).toMatchObject({ status: 'disabled', headers: { Authorization: '[redacted]' } })
    expect(endpoint!.secret).not.toBe(sourceEndpoint!.secret)
    const due = await ownerQuery(api, "select 1 from webhook_deliveries where tenant_id = $1 and status in ('pending', 'delivering', 'failed')", [target.id])
    expect(due).toHaveLength(0)
    expect(await ownerQuery(api, 'select 1 from tenant_configurations where tenant_id = $1 and is_encrypted', [target.id])).toHaveLength(0)
  })

  it('lets the members in: the admin logs in with their password, the invited member with a new invitation', async () => {
    const token = await api.login(adminEmail, PASSWORD, target.id)
    const items = await call(api, bearer(token), 'GET', '/api/v1/inventory')
    expect(items.statusCode).toBe(200)
    expect(items.json().data).toHaveLength(2)
    expect(summary.invitations).toHaveLength(1)
    expect(summary.invitations[0]).toMatchObject({ email: invitedEmail.toLowerCase() })
    const accepted = await api.app.inject({ method: 'POST', url: '/api/v1/auth/accept-invite', payload: { token: summary.invitations[0].token, password: PASSWORD } })
    expect(accepted.statusCode, accepted.body).toBe(200)
    expect(accepted.json().tenant.id).toBe(target.id)
  })

  it('is recorded once in the tenant log and the platform log, with the file digest', async () => {
    const entries = await ownerQuery<{ action: string; changes: any }>(api, 'select action, changes from audit_log where tenant_id = $1 order by seq', [target.id])
    const imported = entries.filter((entry) => entry.action === 'tenant.imported')
    expect(imported).toHaveLength(1)
    expect(imported[0]!.changes).toMatchObject({ file_sha256: summary.sha256, source: { tenant_id: source.tenantId }, invitations_issued: 1 })
    expect(JSON.stringify(imported[0]!.changes)).not.toContain(summary.invitations[0].token)
    const platform = await ownerQuery(api, "select 1 from platform_audit_log where target_id = $1 and action = 'tenant.imported'", [target.id])
    expect(platform).toHaveLength(1)
    // The target's chain holds only its own entries, so it verifies.
    const verified = await call(api, bearer(await api.login(adminEmail, PASSWORD, target.id)), 'GET', '/api/v1/audit-logs/verify')
    expect(verified.statusCode, verified.body).toBe(200)
    expect(verified.json().ok).toBe(true)
  })

  it('leaves the source and every other tenant as they were, and shows them nothing of the target', async () => {
    expect(await tenantFootprint(api, source.tenantId, { global: false })).toEqual(sourceBefore)
    expect(await tenantFootprint(api, third.tenantId, { global: false })).toEqual(thirdBefore)
    const [targetItem] = await ownerQuery<{ id: string }>(api, 'select id from inventory_items where tenant_id = $1 limit 1', [target.id])
    expect((await call(api, third.headers, 'GET', `/api/v1/inventory/${targetItem!.id}`)).statusCode).toBe(404)
    const listed = await call(api, third.headers, 'GET', '/api/v1/inventory')
    expect(listed.json().data).toHaveLength(1)
    expect((await call(api, { ...third.headers, 'x-tenant-id': target.id }, 'GET', '/api/v1/inventory')).statusCode).toBe(403)
  })

  it('refuses a second import: the tenant is no longer empty (409), and nothing changes', async () => {
    const before = await tenantFootprint(api, target.id)
    const again = await importInto(api, target.id, file)
    expect(again.statusCode).toBe(409)
    expect(again.json()).toMatchObject({ code: 'conflict', reason: 'tenant_not_empty' })
    expect(await tenantFootprint(api, target.id)).toEqual(before)
  })
})

describe('the JSON document form', () => {
  it('imports the same rows', async () => {
    const document = await exportOf(api, source.tenantId, 'json')
    const target = await api.createTenant()
    const response = await importInto(api, target.id, document, 'application/json')
    expect(response.statusCode, response.body).toBe(200)
    const counts = JSON.parse(document).rows as Record<string, number>
    for (const table of ['inventory_items', 'orders', 'order_lines', 'tenant_users', 'tenant_roles']) expect(response.json().rows[table], table).toBe(counts[table])
  })
})

const header = () => lines(file)[0]!
const rowsOnly = () => lines(file).slice(1, -1)
const end = () => lines(file).at(-1)!

describe('a file from another deployment', () => {
  it('creates the people it does not know (invited, without a password), maps system roles by name, and gives taken user ids new ones', async () => {
    // Another deployment: other role ids for the same role names, and emails nobody here has.
    const roleIds = new Map((header().system_roles as { id: string }[]).map((role) => [role.id, randomUUID()]))
    const other = (id: unknown) => roleIds.get(id as string) ?? id
    const moved = ndjson([
      { ...header(), system_roles: (header().system_roles as { id: string; name: string }[]).map((role) => ({ ...role, id: other(role.id) })) },
      ...rowsOnly().map((l) => {
        if (l.table === 'users') return { ...l, row: { ...l.row, email: `elsewhere-${l.row!.email}` } }
        if (l.table === 'tenant_users' || l.table === 'api_keys') return { ...l, row: { ...l.row, role_id: other(l.row!.role_id) } }
        return l
      }),
      end(),
    ])
    const target = await api.createTenant()
    const response = await importInto(api, target.id, moved)
    expect(response.statusCode, response.body).toBe(200)
    const summary = response.json()
    expect(summary.users).toEqual({ matched: 0, created: 4 })
    expect(summary.invitations).toHaveLength(4) // nobody has a password here
    expect(summary.changed).toContainEqual(expect.objectContaining({ table: 'tenant_users', rows: 3 }))

    const roles = (tenantId: string) =>
      ownerQuery<{ role: string; status: string }>(api, `select coalesce(r.name, cr.name) as role, tu.status from tenant_users tu left join roles r on r.id = tu.role_id
        left join tenant_roles cr on cr.tenant_id = tu.tenant_id and cr.id = tu.custom_role_id where tu.tenant_id = $1 order by 1`, [tenantId])
    expect((await roles(target.id)).map((m) => m.role)).toEqual((await roles(source.tenantId)).map((m) => m.role))
    expect((await roles(target.id)).every((m) => m.status === 'invited')).toBe(true)
    const created = await ownerQuery<{ id: string; password_hash: string | null; default_tenant_id: string }>(
      api, "select u.id, u.password_hash, u.default_tenant_id from users u join tenant_users tu on tu.user_id = u.id where tu.tenant_id = $1", [target.id])
    const fileIds = rowsOnly().filter((l) => l.table === 'users').map((l) => l.row!.id)
    expect(created).toHaveLength(4)
    for (const user of created) {
      expect(fileIds).not.toContain(user.id) // the file's ids belong to this deployment's users already
      expect(user).toMatchObject({ password_hash: null, default_tenant_id: target.id })
    }
    const key = await ownerQuery<{ role_id: string }>(api, 'select role_id from api_keys where tenant_id = $1', [target.id])
    expect(key[0]!.role_id).toBe((await ownerQuery<{ role_id: string }>(api, 'select role_id from api_keys where tenant_id = $1', [source.tenantId]))[0]!.role_id)
  })

  it('never invites an account that has a password here: a file naming anyone\'s email as invited gets them no token', async () => {
    // Someone with an account (and a password) here, whom a file lists as an invited member.
    const victim = await api.addMember(third.token, 'Analyst')
    const fileUserId = randomUUID()
    const membership = rowsOnly().find((l) => l.table === 'tenant_users')!
    const rows = rowsOnly()
    const lastUser = rows.map((l) => l.table).lastIndexOf('users')
    const lastMember = rows.map((l) => l.table).lastIndexOf('tenant_users')
    const withVictim = [...rows]
    withVictim.splice(lastMember + 1, 0, { ...membership, row: { ...membership.row, user_id: fileUserId, status: 'invited' } })
    withVictim.splice(lastUser + 1, 0, { type: 'row', table: 'users', row: { id: fileUserId, email: victim.email, name: 'Victim', status: 'active', created_at: new Date().toISOString() } })
    const counts = end().rows!
    const crafted = ndjson([header(), ...withVictim, { ...end(), rows: { ...counts, users: counts.users! + 1, tenant_users: counts.tenant_users! + 1 } }])

    const target = await api.createTenant()
    const response = await importInto(api, target.id, crafted)
    expect(response.statusCode, response.body).toBe(200)
    const summary = response.json()
    expect(summary.invitations.map((i: { email: string }) => i.email)).not.toContain(victim.email.toLowerCase())
    expect(summary.changed).toContainEqual(expect.objectContaining({ table: 'tenant_users', change: expect.stringContaining('active instead of invited') }))
    const [joined] = await ownerQuery<{ status: string }>(api, 'select status from tenant_users where tenant_id = $1 and user_id = $2', [target.id, victim.userId])
    expect(joined).toEqual({ status: 'active' })
    expect(await ownerQuery(api, 'select 1 from invitations where tenant_id = $1 and user_id = $2', [target.id, victim.userId])).toEqual([])
  })

  it('refuses a role this deployment does not have', async () => {
    const target = await api.createTenant()
    const before = await tenantFootprint(api, target.id)
    const unknown = ndjson([{ ...header(), system_roles: [] }, ...rowsOnly().map((l) => (l.table === 'tenant_users' && l.row!.role_id ? { ...l, row: { ...l.row, role_id: randomUUID() } } : l)), end()])
    const response = await importInto(api, target.id, unknown)
    expect(response.json()).toMatchObject({ status: 400, reason: 'unknown_role' })
    expect(await tenantFootprint(api, target.id)).toEqual(before)
  })
})

describe('a large tenant', () => {
  it('is imported in batches: every row once', async () => {
    const large = await newOrg(api)
    const ITEMS = 20_000 // 40 INSERTs of 500, megabytes of NDJSON
    await ownerQuery(api, `insert into inventory_items (tenant_id, item_code, name, quantity) select $1, 'BULK-' || n, 'Bulk item ' || n, n from generate_series(1, ${ITEMS}) n`, [large.tenantId])
    const target = await api.createTenant()
    const response = await importInto(api, target.id, await exportOf(api, large.tenantId))
    expect(response.statusCode, response.body).toBe(200)
    expect(response.json().rows.inventory_items).toBe(ITEMS)
    const [counted] = await ownerQuery<{ n: string; codes: string }>(api, 'select count(*)::text as n, count(distinct item_code)::text as codes from inventory_items where tenant_id = $1', [target.id])
    expect(counted).toEqual({ n: String(ITEMS), codes: String(ITEMS) })
  }, 60_000)
})

describe('a bad file changes nothing', () => {
  const withEnd = (rows: Line[]) => {
    const counts: Record<string, number> = Object.fromEntries(['users', ...exportedTables()].map((table) => [table, 0]))
    for (const row of rows) counts[row.table!] = (counts[row.table!] ?? 0) + 1
    return [header(), ...rows, { type: 'end', rows: counts }]
  }

  const cases: [string, () => string, string][] = [
    ['no end record (cut between lines)', () => ndjson(lines(file).slice(0, -1)), 'truncated'],
    ['cut inside a line', () => file.slice(0, Math.floor(file.length / 2)), 'malformed_line'],
    ['a row left out (the counts differ)', () => ndjson([header(), ...rowsOnly().filter((l, i, all) => i !== all.findIndex((x) => x.table === 'order_lines')), end()]), 'count_mismatch'],
    ['a count changed', () => ndjson([header(), ...rowsOnly(), { ...end(), rows: { ...end().rows, inventory_items: end().rows!.inventory_items! + 1 } }]), 'count_mismatch'],
    ['an unknown table', () => ndjson(withEnd([...rowsOnly(), { type: 'row', table: 'pg_authid', row: { rolname: 'x' } }])), 'unknown_table'],
    ['an unknown column', () => ndjson(withEnd(rowsOnly().map((l) => (l.table === 'orders' ? { ...l, row: { ...l.row, discount: 5 } } : l)))), 'unknown_column'],
    ['a key hash (exports leave it out)', () => ndjson(withEnd(rowsOnly().map((l) => (l.table === 'api_keys' ? { ...l, row: { ...l.row, key_hash: Buffer.alloc(32).toString('base64') } } : l)))), 'secret_column'],
    ['a malformed line', () => ndjson([header(), ...rowsOnly()]).replace('{"type":"row","table":"orders"', '{"type":"row","table":"orders",,'), 'malformed_line'],
    ['another format version', () => ndjson([{ ...header(), format_version: 2 }, ...rowsOnly(), end()]), 'unsupported_version'],
    ['rows out of order', () => ndjson(withEnd([...rowsOnly()].reverse())), 'out_of_order'],
    ['a value the database refuses', () => ndjson(withEnd(rowsOnly().map((l) => (l.table === 'inventory_items' ? { ...l, row: { ...l.row, quantity: -1 } } : l)))), 'rejected_row'],
    ['something after the end record', () => `${file}${ndjson([end()])}`, 'trailing_data'],
    // What creating an endpoint refuses, a file may not bring in: a header the dispatcher sets, an unknown event.
    ['a webhook header the dispatcher sets', () => ndjson(withEnd(rowsOnly().map((l) => (l.table === 'webhook_endpoints' ? { ...l, row: { ...l.row, headers: { 'Webhook-Signature': 'forged' } } } : l)))), 'rejected_row'],
    ['an unknown webhook event', () => ndjson(withEnd(rowsOnly().map((l) => (l.table === 'webhook_endpoints' ? { ...l, row: { ...l.row, events: ['tenant.stolen'] } } : l)))), 'rejected_row'],
    ['an empty body', () => '', 'missing_header'],
    // Nor a role name the roles API refuses (D77): a system role's lookalike, an invisible character.
    ['a role named like a system role', () => ndjson(withEnd(rowsOnly().map((l) => (l.table === 'tenant_roles' ? { ...l, row: { ...l.row, name: '\u0410dmin' } } : l)))), 'rejected_row'],
    ['a role name with a zero-width space', () => ndjson(withEnd(rowsOnly().map((l) => (l.table === 'tenant_roles' ? { ...l, row: { ...l.row, name: 'Pa\u200Bcker' } } : l)))), 'rejected_row'],
  ]

  it.each(cases)('%s → 400 validation_failed, nothing written', async (_name, build, reason) => {
    const target = await api.createTenant()
    const before = await tenantFootprint(api, target.id)
    const response = await importInto(api, target.id, build())
    expect(response.statusCode, response.body).toBe(400)
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(response.json()).toMatchObject({ code: 'validation_failed', reason })
    expect(await tenantFootprint(api, target.id)).toEqual(before)
  })

  it("a role's name_skeleton is computed, never taken from the file, and files from before it had one import", async () => {
    for (const skeleton of ['admin', undefined]) {
      const target = await api.createTenant()
      const edited = ndjson(lines(file).map((l) => (l.type === 'row' && l.table === 'tenant_roles' ? { ...l, row: { ...l.row, name_skeleton: skeleton } } : l)))
      const response = await importInto(api, target.id, edited)
      expect(response.statusCode, response.body).toBe(200)
      expect(await ownerQuery(api, 'select name, name_skeleton from tenant_roles where tenant_id = $1', [target.id])).toEqual([{ name: customRole, name_skeleton: roleNameSkeleton(customRole) }])
    }
  })

  it('a tenant_id of another tenant in a row is overwritten, never trusted', async () => {
    const target = await api.createTenant()
    const thirdBefore = await tenantFootprint(api, third.tenantId, { global: false })
    const forged = ndjson(lines(file).map((l) => (l.type === 'row' && l.table !== 'users' ? { ...l, row: { ...l.row, tenant_id: third.tenantId } } : l)))
    const response = await importInto(api, target.id, forged)
    expect(response.statusCode, response.body).toBe(200)
    expect(await tenantFootprint(api, third.tenantId, { global: false })).toEqual(thirdBefore)
    expect((await ownerQuery(api, 'select 1 from inventory_items where tenant_id = $1', [target.id])).length).toBe(sourceRows.inventory_items)
  })

  it('into a tenant that is not empty: 409, nothing written', async () => {
    const target = await newOrg(api) // sign-up gives it an Admin: not empty
    const before = await tenantFootprint(api, target.tenantId)
    const response = await importInto(api, target.tenantId, file)
    expect(response.statusCode).toBe(409)
    expect(response.json()).toMatchObject({ code: 'conflict', reason: 'tenant_not_empty', tables: ['tenant_users'] })
    expect(await tenantFootprint(api, target.tenantId)).toEqual(before)
  })
})

describe('who may import', () => {
  it('only the platform: 401 without credentials, 403 for a tenant Admin (even into their own tenant); 404 for an unknown tenant; 415 for another body type', async () => {
    const target = await api.createTenant()
    const before = await tenantFootprint(api, target.id)
    expect((await importInto(api, target.id, file, 'application/x-ndjson', {})).statusCode).toBe(401)
    for (const id of [target.id, source.tenantId]) {
      const refused = await importInto(api, id, file, 'application/x-ndjson', source.headers)
      expect(refused.statusCode).toBe(403)
      expect(refused.json().code).toBe('forbidden')
    }
    expect((await importInto(api, '00000000-0000-4000-8000-00000000dead', file)).statusCode).toBe(404)
    const plain = await importInto(api, target.id, file, 'text/plain')
    expect(plain.statusCode).toBe(415)
    expect(await tenantFootprint(api, target.id)).toEqual(before)
  })
})
