// A JSON value thousands of levels deep, stored once, broke every later export of its tenant and
// `backup --all` (issue 18 item 4). Every route that takes free JSON refuses a body nested deeper
// than MAX_JSON_DEPTH with 400 json_too_deep, and changes nothing; a deep value already in the
// database is exported whole (the end record is there), and an import refuses it by name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { jsonValueDepth, MAX_JSON_DEPTH } from '../src/lib/json-depth.ts'
import { IMPORT_VALUE_MAX_DEPTH } from '../src/modules/export/import-reader.ts'
import { createTestApi, type TestApi } from './support/api.ts'
import { nestedText } from './support/deep-json.ts'
import { call, migratePlan, newOrg, ownerQuery, type Org } from './support/domain.ts'
import { exportOf, importInto, lines } from './support/tenant-import.ts'

let api: TestApi
let org: Org
beforeAll(async () => {
  api = await createTestApi()
  org = await newOrg(api)
  await migratePlan(api, 'premium', org)
})
afterAll(async () => api?.close())

type Method = 'PUT' | 'PATCH' | 'POST'
/** A body as text, with `deep` spliced in where the free JSON goes. */
const send = (method: Method, url: string, headers: Record<string, string>, body: (deep: string) => string, depth: number) =>
  api.app.inject({ method, url, headers: { ...headers, 'content-type': 'application/json' }, payload: body(nestedText(depth)) })

describe('routes that take free JSON refuse deep bodies', () => {
  const routes: [string, Method, () => string, () => Record<string, string>, (deep: string) => string][] = [
    ['a configuration value', 'PUT', () => '/api/v1/config/deep.value', () => org.headers, (deep) => `{"value":${deep}}`],
    ['own tenant branding', 'PATCH', () => '/api/v1/tenant', () => org.headers, (deep) => `{"settings":{"branding":{"theme":${deep}}}}`],
    ['tenant settings (operator)', 'PATCH', () => `/api/v1/tenants/${org.tenantId}`, () => api.operator, (deep) => `{"settings":{"limits":${deep}}}`],
    ['webhook headers', 'POST', () => '/api/v1/webhooks', () => org.headers, (deep) => `{"name":"deep","url":"http://127.0.0.1:9/in","events":["inventory.created"],"headers":{"X-Deep":${deep}}}`],
    ['a public route', 'POST', () => '/api/v1/auth/login', () => ({}), (deep) => `{"email":${deep},"password":"x"}`],
  ]
  for (const [name, method, url, headers, body] of routes) {
    for (const depth of [2_500, 6_000, 100_000]) {
      it(`${name}: ${depth} levels is 400 json_too_deep naming the limit`, async () => {
        const response = await send(method, url(), headers(), body, depth)
        expect(response.statusCode, response.body).toBe(400)
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
        expect(response.json()).toMatchObject({ code: 'json_too_deep', limit: MAX_JSON_DEPTH, detail: expect.stringContaining(`${MAX_JSON_DEPTH} levels`) })
      })
    }
  }

  it('changes nothing: the configuration key was not written, the tenant keeps its settings', async () => {
    expect((await call(api, org.headers, 'GET', '/api/v1/config/deep.value')).statusCode).toBe(404)
    const [tenant] = await ownerQuery<{ settings: unknown }>(api, 'select settings from tenants where id = $1', [org.tenantId])
    expect(jsonValueDepth(tenant!.settings)).toBeLessThan(10)
  })

  it('takes a value at the limit: the body {"value": …} is exactly MAX_JSON_DEPTH deep', async () => {
    const atLimit = await send('PUT', '/api/v1/config/deep.at-limit', org.headers, (deep) => `{"value":${deep}}`, MAX_JSON_DEPTH - 1)
    expect(atLimit.statusCode, atLimit.body).toBeLessThan(300)
    expect(jsonValueDepth((await call(api, org.headers, 'GET', '/api/v1/config/deep.at-limit')).json().value)).toBe(MAX_JSON_DEPTH - 1)
    const over = await send('PUT', '/api/v1/config/deep.over-limit', org.headers, (deep) => `{"value":${deep}}`, MAX_JSON_DEPTH)
    expect(over.json().code).toBe('json_too_deep')
  })
})

describe('a deep value already in the database', () => {
  const DEPTH = 5_000
  let stored: Org
  beforeAll(async () => {
    stored = await newOrg(api)
    // As the table owner: what an older server, or a hand-written SQL, left behind.
    await ownerQuery(api, 'insert into tenant_configurations (tenant_id, key, value) values ($1, $2, $3::jsonb)', [stored.tenantId, 'legacy.deep', nestedText(DEPTH)])
  })

  it('is exported whole in NDJSON: its row, then the end record', async () => {
    const records = lines(await exportOf(api, stored.tenantId))
    expect(records.at(-1)).toMatchObject({ type: 'end', rows: { tenant_configurations: expect.any(Number) } })
    const row = records.find((record) => record.table === 'tenant_configurations' && record.row?.key === 'legacy.deep')
    expect(jsonValueDepth(row?.row?.value)).toBe(DEPTH)
  })

  it('is exported whole as one JSON document', async () => {
    const document = JSON.parse(await exportOf(api, stored.tenantId, 'json'))
    expect(document.rows.tenant_configurations).toBe(document.data.tenant_configurations.length)
    expect(jsonValueDepth(document.data.tenant_configurations.find((row: { key: string }) => row.key === 'legacy.deep').value)).toBe(DEPTH)
  })

  it('is refused by an import with json_too_deep naming the line and the column; nothing is imported', async () => {
    const file = await exportOf(api, stored.tenantId)
    const target = await api.createTenant()
    const response = await importInto(api, target.id, file)
    expect(response.statusCode, response.body).toBe(400)
    expect(response.json()).toMatchObject({ code: 'json_too_deep', limit: IMPORT_VALUE_MAX_DEPTH, column: 'value', at: expect.stringMatching(/^line \d+$/) })
    expect(await ownerQuery(api, 'select 1 from tenant_configurations where tenant_id = $1 and key = $2', [target.id, 'legacy.deep'])).toHaveLength(0)
  })
})
