// Platform tenant routes, through HTTP on a real database: creation (slugs, settings,
// transactional provisioning), listing, reading and changing a tenant, and who may call them.
// Lifecycle (suspend, delete, purge, migrate) and operator membership: tenant-lifecycle.int.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApi, type TestApi } from './support/api.ts'
import { auditActions, behindLock, countRows, DNS_LABEL, expectOk, expectProblem, ownerRows, platformClient, UNKNOWN_ID } from './support/platform.ts'

let api: TestApi
let client: ReturnType<typeof platformClient>

beforeAll(async () => {
  api = await createTestApi()
  client = platformClient(api)
  // Fails provisioning, after writing a row of its own, for tenants whose name starts with "boom".
  api.services.tenants.addProvisioner(async (tx, tenant) => {
    if (!tenant.name.startsWith('boom')) return
    await tx.query(`insert into inventory_items (tenant_id, item_code, name) values ($1, 'PROV', 'from provisioner')`, [tenant.id])
    throw new Error('boom: provisioning step failed')
  })
})
afterAll(() => api?.close())

const create = (body: Record<string, unknown>) => client.post('/api/v1/tenants', body)
const tenantCount = () => countRows(api, 'tenants')

describe('POST /api/v1/tenants: creation', () => {
  it('creates an active tenant with an explicit slug, its plan configuration, default configuration rows and an audit entry', async () => {
    const response = await create({ name: '  Acme Corp  ', slug: 'acme-corp', plan: 'premium', settings: { branding: { display_name: 'ACME' } } })
    const tenant = expectOk(response, 201)
    expect(tenant).toMatchObject({ slug: 'acme-corp', name: 'Acme Corp', status: 'active', plan: 'premium', settings: { branding: { display_name: 'ACME' } }, deleted_at: null })
    expect(tenant.configuration.limits.max_users).toBe(1000)
    expect(tenant.configuration.features.webhooks).toBe(true)

    const [row] = await ownerRows(api, 'select slug, status, plan, settings from tenants where id = $1', [tenant.id])
    expect(row).toEqual({ slug: 'acme-corp', status: 'active', plan: 'premium', settings: { branding: { display_name: 'ACME' } } })
    const config = await ownerRows(api, 'select key, value from tenant_configurations where tenant_id = $1 order by key', [tenant.id])
    expect(config).toEqual([{ key: 'locale', value: 'en' }, { key: 'timezone', value: 'UTC' }])
    const [audit] = await ownerRows(api, `select actor_type, request_id, metadata from platform_audit_log where action = 'tenant.created' and target_id = $1`, [tenant.id])
    expect(audit).toEqual({ actor_type: 'platform', request_id: response.headers['x-request-id'], metadata: { slug: 'acme-corp', plan: 'premium' } })
  })

  it('defaults to the basic plan with no settings', async () => {
    const tenant = expectOk(await create({ name: 'Plain Basic' }), 201)
    expect(tenant).toMatchObject({ plan: 'basic', settings: {}, configuration: { limits: { max_users: 100, max_items: 1000 } } })
  })

  it.each([
    ['Café Zürich', 'cafe-zurich'],
    ['  Ünïcödé   Dœ & Sons!  ', 'unicode-d-sons'],
    ['The WWW', 'the-www'],
    ['www', 'www-org'],
    ['API', 'api-org'],
    ['ab', 'ab-org'],
    ['6F1C2A9E-3B7D-4E21-9A5C-0D8E7F6A5B4C', '6f1c2a9e-3b7d-4e21-9a5c-0d8e7f6a5b4c-org'],
  ])('derives the slug from the name %j → %s', async (name, slug) => {
    expect(expectOk(await create({ name }), 201).slug).toBe(slug)
  })

  it.each([['!!! ??? ***'], ['東京株式会社'], ['🚀'], ['-'], ['x'.repeat(200)]])('derives a valid, unreserved slug from %j', async (name) => {
    const tenant = expectOk(await create({ name }), 201)
    expect(tenant.slug).toMatch(DNS_LABEL)
    expect(tenant.slug).not.toContain('--')
    expect(tenant.slug.length).toBeLessThanOrEqual(63)
    expect(tenant.name).toBe(name)
  })

  it('gives a second tenant with the same name a suffixed slug', async () => {
    const first = expectOk(await create({ name: 'Twin Works' }), 201)
    const second = expectOk(await create({ name: 'Twin Works' }), 201)
    const third = expectOk(await create({ name: 'Twin Works' }), 201)
    expect([first.slug, second.slug, third.slug]).toEqual(['twin-works', 'twin-works-2', 'twin-works-3'])
  })
  it('gives concurrent creations with the same name distinct suffixed slugs', async () => {
    const lock = { sql: 'lock table tenants in share mode', waiters: 4 }
    const responses = await behindLock(api, lock, () => Promise.all([1, 2, 3, 4].map(() => create({ name: 'Rush Hour' }))))
    expect(responses.map((r) => r.statusCode), responses.map((r) => r.body).join('\n')).toEqual([201, 201, 201, 201])
    expect(responses.map((r) => r.json().slug).sort()).toEqual(['rush-hour', 'rush-hour-2', 'rush-hour-3', 'rush-hour-4'])
  })

  it('suffixes a derived slug that an explicit slug already took', async () => {
    expectOk(await create({ name: 'Taken', slug: 'taken-name' }), 201)
    expect(expectOk(await create({ name: 'Taken Name' }), 201).slug).toBe('taken-name-2')
  })

  it.each([
    ['too short', 'ab'],
    ['too long', 'a'.repeat(64)],
    ['uppercase', 'Acme'],
    ['leading hyphen', '-acme'],
    ['trailing hyphen', 'acme-'],
    ['double hyphen', 'ac--me'],
    ['underscore', 'ac_me'],
    ['dot', 'acme.io'],
    ['space', 'ac me'],
    ['SQL', "a'; drop table tenants;--"],
    ['unicode', 'ñandú'],
    ['reserved www', 'www'],
    ['reserved api', 'api'],
    ['reserved admin', 'admin'],
    ['reserved app', 'app'],
    ['reserved console', 'console'],
    ['reserved metrics', 'metrics'],
    // A uuid names a tenant by id wherever tenants are named: such a slug could pass for another's.
    ['uuid-shaped', '6f1c2a9e-3b7d-4e21-9a5c-0d8e7f6a5b4c'],
  ])('refuses a slug that is %s (%j) with 400 and no row', async (_what, slug) => {
    const before = await tenantCount()
    expectProblem(await create({ name: 'Refused slug', slug }), 400, 'validation_failed')
    expect(await tenantCount()).toBe(before)
    expect(await countRows(api, 'tenants', 'slug = $1', [slug])).toBe(0)
  })

  it('refuses a blank name (spaces only) with 400 naming the field, on create and on rename, and changes nothing', async () => {
    const before = await tenantCount()
    const refused = expectProblem(await create({ name: '   ' }), 400, 'validation_failed')
    expect(refused).toMatchObject({ field: 'name', detail: 'the tenant needs a name (not only spaces)' })
    expect(await tenantCount()).toBe(before)
    const tenant = expectOk(await create({ name: 'Named' }), 201)
    expectProblem(await client.patch(`/api/v1/tenants/${tenant.id}`, { name: ' \t ' }), 400, 'validation_failed')
    expect(await ownerRows(api, 'select name from tenants where id = $1', [tenant.id])).toEqual([{ name: 'Named' }])
  })

  it('refuses a duplicate slug with 409 already_exists', async () => {
    const first = expectOk(await create({ name: 'Original', slug: 'dup-slug' }), 201)
    const before = await tenantCount()
    expectProblem(await create({ name: 'Copy', slug: 'dup-slug' }), 409, 'already_exists')
    expect(await tenantCount()).toBe(before)
    expect(await ownerRows(api, 'select id from tenants where slug = $1', ['dup-slug'])).toEqual([{ id: first.id }])
  })

  it('gives exactly one of two concurrent creations with the same slug the tenant', async () => {
    const responses = await Promise.all([create({ name: 'Race A', slug: 'race-slug' }), create({ name: 'Race B', slug: 'race-slug' })])
    expect(responses.map((r) => r.statusCode).sort()).toEqual([201, 409])
    expect(await countRows(api, 'tenants', 'slug = $1', ['race-slug'])).toBe(1)
  })

  it.each([
    ['an unknown top-level setting', { colour: 'red' }],
    ['an unknown limit', { limits: { max_userz: 5 } }],
    ['an unknown feature', { features: { teleport: true } }],
    ['an unknown branding key', { branding: { display_name: 'X', font: 'Comic Sans' } }],
    ['a negative limit', { limits: { max_users: -1 } }],
    ['a non-https logo', { branding: { logo_url: 'http://example.com/logo.png' } }],
  ])('refuses settings with %s (400, no row)', async (_what, settings) => {
    const before = await tenantCount()
    const body = expectProblem(await create({ name: 'Bad settings', settings }), 400, 'validation_failed')
    expect(body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: expect.stringMatching(/^body\/settings/) })]))
    expect(await tenantCount()).toBe(before)
  })

  it.each([
    ['no name', {}],
    ['an empty name', { name: '' }],
    ['an unknown field', { name: 'X Corp', owner: 'me' }],
    ['an unknown plan', { name: 'X Corp', plan: 'gold' }],
  ])('refuses a body with %s', async (_what, body) => {
    expectProblem(await create(body), 400, 'validation_failed')
  })

  it('is atomic: a failing provisioner leaves no tenant, configuration, item or audit entry (500)', async () => {
    const tables = ['tenants', 'tenant_configurations', 'inventory_items', 'platform_audit_log']
    const before = await Promise.all(tables.map((table) => countRows(api, table)))
    const response = await create({ name: 'boom Industries', slug: 'boom-industries' })
    const body = expectProblem(response, 500, 'internal_error')
    expect(JSON.stringify(body)).not.toContain('boom:')
    expect(await Promise.all(tables.map((table) => countRows(api, table)))).toEqual(before)
    expect(await countRows(api, 'tenants', 'slug = $1', ['boom-industries'])).toBe(0)
    // The slug is free again: nothing half-made holds it.
    expect(expectOk(await create({ name: 'Not boom', slug: 'boom-industries' }), 201).status).toBe('active')
  })
})

describe('GET /api/v1/tenants: listing', () => {
  const ids: Record<string, string> = {}
  beforeAll(async () => {
    for (const [key, body] of Object.entries({
      percent: { name: 'Growth 100% Ltd', plan: 'premium' },
      underscore: { name: 'Under_score Inc', plan: 'enterprise' },
      plainA: { name: 'Growth 100 Ltd' },
      plainB: { name: 'Underscore Inc' },
      suspended: { name: 'Sleepy Co', plan: 'premium' },
    })) ids[key] = (await api.createTenant(body)).id
    expectOk(await client.post(`/api/v1/tenants/${ids.suspended}/suspend`))
  })

  async function collect(query: string, limit: number): Promise<{ ids: string[]; pages: number }> {
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const body = expectOk(await client.get(`/api/v1/tenants?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`))
      expect(body.data.length).toBeLessThanOrEqual(limit)
      seen.push(...body.data.map((t: { id: string }) => t.id))
      cursor = body.next_cursor
      pages++
    } while (cursor && pages < 1000)
    return { ids: seen, pages }
  }

  it('pages through every tenant with limit=2, newest first, without duplicates or gaps', async () => {
    const { ids: seen, pages } = await collect('', 2)
    const all = await ownerRows<{ id: string }>(api, 'select id from tenants order by created_at desc, id desc')
    expect(seen).toEqual(all.map((row) => row.id))
    expect(new Set(seen).size).toBe(seen.length)
    expect(pages).toBe(Math.ceil(all.length / 2))
  })

  it('filters by status and by plan, and pages through a filtered list', async () => {
    const suspended = expectOk(await client.get('/api/v1/tenants?status=suspended')).data
    expect(suspended.map((t: { id: string }) => t.id)).toEqual([ids.suspended])
    const premium = await collect('&plan=premium', 1)
    const expected = await ownerRows<{ id: string }>(api, `select id from tenants where plan = 'premium' order by created_at desc, id desc`)
    expect(premium.ids).toEqual(expected.map((row) => row.id))
    expect(premium.ids).toEqual(expect.arrayContaining([ids.percent, ids.suspended]))
    const both = expectOk(await client.get('/api/v1/tenants?status=active&plan=premium')).data
    expect(both.map((t: { id: string }) => t.id)).toContain(ids.percent)
    expect(both.map((t: { id: string }) => t.id)).not.toContain(ids.suspended)
  })

  it('searches name and slug case-insensitively with q', async () => {
    const found = expectOk(await client.get(`/api/v1/tenants?q=${encodeURIComponent('SLEEPY')}`)).data
    expect(found.map((t: { id: string }) => t.id)).toEqual([ids.suspended])
  })

  it.each([
    ['%', 'percent'],
    ['_', 'underscore'],
    ['100%', 'percent'],
    ['r_s', 'underscore'],
  ])('matches %j in q literally, not as a wildcard', async (q, key) => {
    const found = expectOk(await client.get(`/api/v1/tenants?q=${encodeURIComponent(q)}`)).data
    expect(found.map((t: { id: string }) => t.id)).toEqual([ids[key]])
  })
  it('does not lose tenants created in the same millisecond (or the same transaction) across pages', async () => {
    await ownerRows(api, `insert into tenants (slug, name, status, created_at) values
      ('tie-one', 'Tie one', 'active', '2001-01-01 00:00:00.123456+00'), ('tie-two', 'Tie two', 'active', '2001-01-01 00:00:00.123456+00'),
      ('micro-early', 'Micro early', 'active', '2001-01-01 00:00:00.123100+00'), ('micro-late', 'Micro late', 'active', '2001-01-01 00:00:00.123900+00')`)
    const all = (await ownerRows<{ id: string }>(api, 'select id from tenants')).map((row) => row.id).sort()
    for (const limit of [1, 2, 3]) expect((await collect('', limit)).ids.sort(), `limit=${limit}`).toEqual(all)
  })

  it.each([
    ['a garbage cursor', 'cursor=not-a-cursor'],
    ['a cursor with a bad payload', `cursor=${Buffer.from('["yesterday","x"]').toString('base64url')}`],
    ['limit=0', 'limit=0'],
    ['limit=201', 'limit=201'],
    ['an unknown status', 'status=sleeping'],
    ['an unknown plan', 'plan=gold'],
    ['an unknown parameter', 'owner=me'],
  ])('refuses %s with 400', async (_what, query) => {
    expectProblem(await client.get(`/api/v1/tenants?${query}`), 400, 'validation_failed')
  })
})

describe('GET / PATCH /api/v1/tenants/:id', () => {
  it('reads a tenant', async () => {
    const created = await api.createTenant({ name: 'Readable', plan: 'enterprise' })
    expect(expectOk(await client.get(`/api/v1/tenants/${created.id}`))).toEqual(created)
  })

  it('answers 404 for an unknown id and 400 for a non-uuid id on every tenant route', async () => {
    for (const [method, suffix, payload] of [
      ['GET', '', undefined], ['PATCH', '', { name: 'X' }], ['DELETE', '', undefined],
      ['POST', '/suspend', undefined], ['POST', '/reactivate', undefined], ['POST', '/migrate', { targetPlan: 'premium' }],
      ['POST', '/users', { email: 'nobody@example.test', role: 'Analyst' }],
    ] as const) {
      const call = (id: string) => client.call(method, `/api/v1/tenants/${encodeURIComponent(id)}${suffix}`, payload)
      expectProblem(await call(UNKNOWN_ID), 404, 'not_found')
      expectProblem(await call('not-a-uuid'), 400, 'validation_failed')
      expectProblem(await call("1' or '1'='1"), 400, 'validation_failed')
    }
  })

  it('renames a tenant and merges settings key by key: null returns a key to the plan default, others stay', async () => {
    const created = await api.createTenant({
      name: 'Mergeable',
      settings: { branding: { display_name: 'Merge' }, limits: { max_users: 5, max_items: 50 }, features: { webhooks: true } },
    })
    const response = await client.patch(`/api/v1/tenants/${created.id}`, { name: ' Merged ', settings: { limits: null, branding: { primary_color: '#112233' } } })
    const tenant = expectOk(response)
    expect(tenant.name).toBe('Merged')
    expect(tenant.settings).toEqual({ branding: { primary_color: '#112233' }, features: { webhooks: true } })
    expect(tenant.configuration.limits).toMatchObject({ max_users: 100, max_items: 1000 })
    expect(tenant.configuration.features.webhooks).toBe(true)
    const [row] = await ownerRows(api, 'select name, settings from tenants where id = $1', [created.id])
    expect(row).toEqual({ name: 'Merged', settings: tenant.settings })
    expect(await auditActions(api, created.id)).toEqual(['tenant.created', 'tenant.updated'])
  })

  it('refuses an empty patch, unknown fields and unknown settings, leaving the tenant as it was', async () => {
    const created = await api.createTenant({ name: 'Unpatchable', settings: { limits: { max_users: 7 } } })
    for (const body of [{}, { status: 'deleted' }, { plan: 'custom' }, { settings: { nope: 1 } }, { settings: { limits: { max_userz: 1 } } }, { name: '' }]) {
      expectProblem(await client.patch(`/api/v1/tenants/${created.id}`, body), 400, 'validation_failed')
    }
    const [row] = await ownerRows(api, 'select name, status, plan, settings from tenants where id = $1', [created.id])
    expect(row).toEqual({ name: created.name, status: 'active', plan: 'basic', settings: { limits: { max_users: 7 } } })
  })
})
