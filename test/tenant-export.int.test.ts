// DESIGN §13: a tenant's export holds every row of its tenant tables (and its members' users),
// nothing of another tenant, and none of its secrets; it is audited and needs tenant:export or
// the platform.
import { randomBytes } from 'node:crypto'
import { get } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REDACTED_COLUMNS, REDACTED_VALUES, SKIPPED_TABLES, exportedTables } from '../src/modules/export/export-plan.ts'
import { tenantTables } from '../src/db/index.ts'
import { bearer, createTestApi, PASSWORD, type TestApi } from './support/api.ts'
import { serverUrl } from './support/test-env.ts'
import { call, code, createItem, createOrder, newOrg, ownerQuery, type Org } from './support/domain.ts'
import { lines as linesOf, type Line } from './support/tenant-import.ts'

let api: TestApi
let org: Org
let other: Org
const secrets: string[] = [PASSWORD]
let otherItemCode: string

beforeAll(async () => {
  api = await createTestApi({ MASTER_KEY: randomBytes(32).toString('base64') })
  org = await newOrg(api)
  other = await newOrg(api)
  await call(api, api.operator, 'POST', `/api/v1/tenants/${org.tenantId}/migrate`, { targetPlan: 'premium' })

  // A little of everything, secrets included.
  const item = await createItem(api, org, { quantity: 10 })
  expect((await createOrder(api, org, [{ item_id: item.id, quantity: 1, unit_price: 2 }])).statusCode).toBe(201)
  await api.addMember(org.token, 'Analyst')
  await call(api, org.headers, 'POST', '/api/v1/members', { email: `invited-${code()}@example.test`, role: 'Analyst' })
  const key = await call(api, org.headers, 'POST', '/api/v1/api-keys', { name: 'exporter', permissions: ['tenant:export'] })
  secrets.push(key.json().key)
  const headerValue = `Bearer receiver-${randomBytes(8).toString('hex')}`
  const endpoint = await call(api, org.headers, 'POST', '/api/v1/webhooks', { name: 'receiver', url: 'http://127.0.0.1:9/in', events: ['inventory.created'], headers: { Authorization: headerValue } })
  expect(endpoint.statusCode, endpoint.body).toBe(201)
  secrets.push(endpoint.json().secret, headerValue)
  const configSecret = `smtp-${randomBytes(8).toString('hex')}`
  expect((await call(api, org.headers, 'PUT', '/api/v1/config/smtp.password', { value: configSecret, encrypted: true })).statusCode).toBeLessThan(300)
  secrets.push(configSecret)

  otherItemCode = (await createItem(api, other)).item_code
})
afterAll(async () => {
  await api?.close()
})

const exportOf = (headers: Record<string, string>, url = '/api/v1/export', query: Record<string, string> = {}) =>
  api.app.inject({ method: 'POST', url, headers, query })


describe('POST /api/v1/export', () => {
  let body: string
  let lines: Line[]
  beforeAll(async () => {
    const response = await exportOf(org.headers)
    expect(response.statusCode, response.body).toBe(200)
    expect(response.headers['content-type']).toBe('application/x-ndjson; charset=utf-8')
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename="tenantry-[a-z0-9-]+-\d{4}-\d{2}-\d{2}\.ndjson"$/)
    body = response.body
    lines = linesOf(body)
  })

  it('is a header, the rows, and an end record whose counts match the rows', () => {
    expect(lines[0]).toMatchObject({ type: 'header', format: 'tenantry.export', format_version: 1, tenant: { id: org.tenantId }, tables: ['users', ...exportedTables()] })
    const end = lines.at(-1)!
    expect(end.type).toBe('end')
    const counted: Record<string, number> = Object.fromEntries(['users', ...exportedTables()].map((table) => [table, 0]))
    for (const line of lines.slice(1, -1)) {
      expect(line.type).toBe('row')
      counted[line.table!]! += 1
    }
    expect(end.rows).toEqual(counted)
  })

  it('holds every row of every exported tenant table: the counts are the database’s', async () => {
    const end = lines.at(-1)!.rows!
    for (const table of exportedTables()) {
      const [counted] = await ownerQuery<{ count: string }>(api, `select count(*)::text as count from ${table} where tenant_id = $1`, [org.tenantId])
      expect(end[table], table).toBe(Number(counted!.count))
    }
    for (const table of ['inventory_items', 'orders', 'order_lines', 'tenant_users', 'invitations', 'api_keys', 'webhook_endpoints', 'tenant_configurations', 'audit_log']) {
      expect(end[table], table).toBeGreaterThan(0)
    }
    expect(end.users).toBe(3) // the admin, the analyst, the invited user
  })

  it('holds nothing of another tenant', () => {
    for (const line of lines.slice(1, -1)) if (line.table !== 'users') expect(line.row!.tenant_id).toBe(org.tenantId)
    expect(body).not.toContain(other.tenantId)
    expect(body).not.toContain(otherItemCode)
  })

  it('leaves secrets out: keys, webhook secrets and header values, encrypted values, data keys, password and token hashes', () => {
    for (const secret of secrets) expect(body).not.toContain(secret)
    const rowsOf = (table: string) => lines.filter((line) => line.table === table).map((line) => line.row!)
    for (const [table, columns] of Object.entries(REDACTED_COLUMNS)) {
      for (const row of rowsOf(table)) for (const column of columns) expect(row, `${table}.${column}`).not.toHaveProperty(column)
    }
    expect(rowsOf('webhook_endpoints')[0]!.headers).toEqual({ Authorization: '[redacted]' })
    for (const row of rowsOf('users')) expect(Object.keys(row).sort()).toEqual(['created_at', 'email', 'id', 'name', 'status'])
    expect(lines.some((line) => line.table === 'tenant_data_keys')).toBe(false)
  })

  it('is recorded in the tenant’s audit log', async () => {
    const entries = await ownerQuery<{ action: string }>(api, "select action from audit_log where tenant_id = $1 and action = 'tenant.exported'", [org.tenantId])
    expect(entries.length).toBeGreaterThanOrEqual(1)
  })

  it('as one JSON document holds the same rows', async () => {
    const response = await exportOf(org.headers, '/api/v1/export', { format: 'json' })
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    const document = JSON.parse(response.body) as { tenant: { id: string }; data: Record<string, Record<string, unknown>[]>; rows: Record<string, number> }
    expect(document.tenant.id).toBe(org.tenantId)
    for (const table of ['users', ...exportedTables()]) {
      const fromLines = lines.filter((line) => line.table === table).map((line) => line.row)
      // audit_log grew by this second export's own entry; every earlier row is still there.
      if (table === 'audit_log' || table === 'audit_chain_heads' || table === 'audit_chain_witnesses') expect(document.data[table]!.length, table).toBeGreaterThanOrEqual(fromLines.length)
      else expect(document.data[table], table).toEqual(fromLines)
      expect(document.rows[table]).toBe(document.data[table]!.length)
    }
  })
})

describe('who may export', () => {
  it('needs tenant:export: an Analyst is refused, an API key holding it is served', async () => {
    const analyst = await api.addMember(org.token, 'Analyst')
    const refused = await exportOf(bearer(analyst.token))
    expect(refused.statusCode).toBe(403)
    expect(refused.json().code).toBe('permission_denied')
    const byKey = await exportOf(bearer(secrets[1]!))
    expect(byKey.statusCode).toBe(200)
    expect(linesOf(byKey.body).at(-1)!.type).toBe('end')
  })

  it('the platform route exports any tenant for the operator, and is in the platform log', async () => {
    const response = await exportOf(api.operator, `/api/v1/tenants/${other.tenantId}/export`)
    expect(response.statusCode).toBe(200)
    expect(linesOf(response.body)[0]).toMatchObject({ tenant: { id: other.tenantId } })
    expect(response.body).toContain(otherItemCode)
    const logged = await ownerQuery(api, "select 1 from platform_audit_log where target_id = $1 and action = 'tenant.exported'", [other.tenantId])
    expect(logged).toHaveLength(1)
  })

  it('a tenant admin cannot use the platform route, for another tenant or their own', async () => {
    for (const target of [other.tenantId, org.tenantId]) {
      const response = await exportOf(org.headers, `/api/v1/tenants/${target}/export`)
      expect(response.statusCode).toBe(403)
      expect(response.body).not.toContain('"type":"row"')
    }
  })

  it('an unknown tenant is a 404 and a bad format a 400, before anything is streamed', async () => {
    expect((await exportOf(api.operator, '/api/v1/tenants/00000000-0000-4000-8000-00000000dead/export')).statusCode).toBe(404)
    const bad = await exportOf(org.headers, '/api/v1/export', { format: 'csv' })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().code).toBe('validation_failed')
  })
})

describe('a large tenant', () => {
  let large: Org
  const ITEMS = 20_000 // many cursor batches of 500, and megabytes: more than socket buffers hold
  beforeAll(async () => {
    large = await newOrg(api)
    await ownerQuery(api, `insert into inventory_items (tenant_id, item_code, name, quantity)
                           select $1, 'BULK-' || n, 'Bulk item ' || n, n from generate_series(1, ${ITEMS}) n`, [large.tenantId])
  })

  it('is read in batches and holds every row once', async () => {
    const lines = linesOf((await exportOf(large.headers)).body)
    const codes = lines.filter((line) => line.table === 'inventory_items').map((line) => line.row!.item_code)
    expect(codes).toHaveLength(ITEMS)
    expect(new Set(codes).size).toBe(ITEMS)
    expect(lines.at(-1)!.rows!.inventory_items).toBe(ITEMS)
  })

  it.runIf(serverUrl())('a reader that goes away ends the transaction and gives the connection back', async () => {
    const address = await api.app.listen({ port: 0, host: '127.0.0.1' })
    try {
      await new Promise<void>((resolve, reject) => {
        const request = get(`${address}/api/v1/export`, { method: 'POST', headers: large.headers }, (response) => {
          expect(response.statusCode).toBe(200)
          response.once('data', () => {
            request.destroy()
            resolve()
          })
        })
        request.on('error', (error) => (request.destroyed ? undefined : reject(error)))
        request.end()
      })
      const inTransaction = () =>
        ownerQuery<{ n: string }>(api, "select count(*)::text as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%' and query like '%export_%'")
      await expect.poll(async () => Number((await inTransaction())[0]!.n), { timeout: 10_000 }).toBe(0)
      await expect.poll(() => api.testDb.db.poolStats().waiting, { timeout: 10_000 }).toBe(0)
    } finally {
      await api.app.close().catch(() => undefined)
    }
  })
})

describe('the export plan', () => {
  // A column added later that holds a secret must be redacted on purpose, or named here as safe.
  const SAFE = new Set([
    // hash-chain links and references: no secret in them
    'audit_log.hash', 'audit_log.prev_hash', 'audit_chain_heads.last_hash', 'audit_chain_heads.purged_through_hash', 'audit_chain_witnesses.last_hash', 'audit_chain_witnesses.purged_through_hash', 'rbac_audit_log.api_key_id',
    // a dispatcher's claim on a delivery, meaningless outside it
    'api_keys.prefix', 'tenant_configurations.key', 'tenant_configurations.key_version',
    'webhook_deliveries.lease_token',
    'webhook_endpoints.secret_key_version', 'webhook_endpoints.previous_secret_key_version', 'webhook_endpoints.previous_secret_expires_at',
  ])
  const SUSPECT = /secret|hash|password|token|key|credential|salt/

  it('every column that sounds like a secret is redacted or known to be safe', async () => {
    const columns = await ownerQuery<{ table_name: string; column_name: string }>(
      api,
      "select table_name::text, column_name::text from information_schema.columns where table_schema = 'public' and table_name = any($1::text[])",
      [tenantTables()],
    )
    const suspects = columns.filter(({ table_name, column_name }) => table_name in SKIPPED_TABLES === false && SUSPECT.test(column_name))
    const unexplained = suspects
      .map(({ table_name, column_name }) => `${table_name}.${column_name}`)
      .filter((name) => {
        const [table, column] = name.split('.') as [string, string]
        return !SAFE.has(name) && !REDACTED_COLUMNS[table]?.includes(column) && !REDACTED_VALUES[table]?.includes(column)
      })
    expect(unexplained).toEqual([])
  })
})
