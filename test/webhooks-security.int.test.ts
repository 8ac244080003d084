// SSRF refusal at creation (WEBHOOK_ALLOW_PRIVATE_TARGETS=false) and the signing secret sealed
// with the tenant's data key when MASTER_KEY is set.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runWithTenant } from '../src/context/index.ts'
import { withTenant } from '../src/db/index.ts'
import { createTestApi, type TestApi } from './support/api.ts'
import { call, newOrg, ownerQuery, type Org } from './support/domain.ts'

describe('SSRF at creation', () => {
  let api: TestApi
  let org: Org
  beforeAll(async () => {
    api = await createTestApi({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false' })
    org = await newOrg(api)
    expect((await call(api, api.operator, 'POST', `/api/v1/tenants/${org.tenantId}/migrate`, { targetPlan: 'premium' })).statusCode).toBe(200)
  })
  afterAll(async () => {
    await api?.close()
  })

  it.each([
    ['http://127.0.0.1/', 'loopback'],
    ['http://localhost/', 'internal_hostname'],
    ['http://169.254.169.254/latest/meta-data', 'link_local'],
    ['http://10.0.0.1/hook', 'private'],
    ['http://[::ffff:127.0.0.1]/', undefined],
  ])('refuses %s with 400 validation_failed and a reason', async (url, reason) => {
    const response = await call(api, org.headers, 'POST', '/api/v1/webhooks', { name: 'x', url, events: ['*'] })
    expect(response.statusCode, response.body).toBe(400)
    const body = response.json()
    expect(body.code).toBe('validation_failed')
    if (reason) expect(JSON.stringify(body)).toContain(reason)
  })

  it('checks a changed url again', async () => {
    // A public literal passes without DNS.
    const created = await call(api, org.headers, 'POST', '/api/v1/webhooks', { name: 'x', url: 'https://93.184.215.14/hook', events: ['*'] })
    expect(created.statusCode, created.body).toBe(201)
    const patched = await call(api, org.headers, 'PATCH', `/api/v1/webhooks/${created.json().id}`, { url: 'http://127.0.0.1:8080/' })
    expect(patched.statusCode).toBe(400)
    expect(JSON.stringify(patched.json())).toContain('loopback')
  })
})

describe('secret at rest with MASTER_KEY', () => {
  let api: TestApi
  let org: Org
  beforeAll(async () => {
    api = await createTestApi({ MASTER_KEY: Buffer.alloc(32, 9).toString('base64') })
    org = await newOrg(api)
    expect((await call(api, api.operator, 'POST', `/api/v1/tenants/${org.tenantId}/migrate`, { targetPlan: 'premium' })).statusCode).toBe(200)
  })
  afterAll(async () => {
    await api?.close()
  })

  const signingSecrets = (endpointId: string) =>
    runWithTenant(org.tenantId, () => withTenant(api.testDb.db, (tx) => api.services.webhooks.signingSecrets(tx, endpointId)))

  it('stores the secret sealed, and the dispatcher reads current then previous while it lasts', async () => {
    const created = (await call(api, org.headers, 'POST', '/api/v1/webhooks', { name: 'x', url: 'http://127.0.0.1:9/', events: ['*'] })).json()
    const [stored] = await ownerQuery<{ secret: string; secret_key_version: number }>(api, 'select secret, secret_key_version from webhook_endpoints where id = $1', [created.id])
    expect(stored!.secret_key_version).toBe(1)
    expect(stored!.secret).not.toContain(created.secret)
    expect(await signingSecrets(created.id)).toEqual([created.secret])

    const rotated = (await call(api, org.headers, 'POST', `/api/v1/webhooks/${created.id}/rotate-secret`)).json()
    expect(await signingSecrets(created.id)).toEqual([rotated.secret, created.secret])

    // Once the 24 h are over only the new one signs.
    await api.testDb.db.withOwnerSession((s) => s.query("update webhook_endpoints set previous_secret_expires_at = now() - interval '1 second' where id = $1", [created.id]))
    expect(await signingSecrets(created.id)).toEqual([rotated.secret])
    expect((await call(api, org.headers, 'GET', `/api/v1/webhooks/${created.id}`)).json().previous_secret_expires_at).toBeNull()
  })

  it('a sealed secret copied to another endpoint does not open', async () => {
    const a = (await call(api, org.headers, 'POST', '/api/v1/webhooks', { name: 'a', url: 'http://127.0.0.1:9/', events: ['*'] })).json()
    const b = (await call(api, org.headers, 'POST', '/api/v1/webhooks', { name: 'b', url: 'http://127.0.0.1:9/', events: ['*'] })).json()
    await api.testDb.db.withOwnerSession((s) => s.query('update webhook_endpoints set secret = (select secret from webhook_endpoints where id = $1) where id = $2', [a.id, b.id]))
    await expect(signingSecrets(b.id)).rejects.toThrow()
  })
})

describe('endpoint header values', () => {
  let api: TestApi
  let org: Org
  beforeAll(async () => {
    api = await createTestApi()
    org = await newOrg(api)
    expect((await call(api, api.operator, 'POST', `/api/v1/tenants/${org.tenantId}/migrate`, { targetPlan: 'premium' })).statusCode).toBe(200)
  })
  afterAll(async () => {
    await api?.close()
  })

  it('are shown at creation only; reads mask them, and a masked value sent back keeps the stored one', async () => {
    const created = await call(api, org.headers, 'POST', '/api/v1/webhooks', { name: 'h', url: 'http://127.0.0.1:9/hook', events: ['*'], headers: { 'X-Receiver-Key': 'rk_live_123' } })
    expect(created.json().headers).toEqual({ 'X-Receiver-Key': 'rk_live_123' })
    const id = created.json().id as string
    for (const url of [`/api/v1/webhooks/${id}`, '/api/v1/webhooks']) {
      const read = await call(api, org.headers, 'GET', url)
      expect(read.body).not.toContain('rk_live_123')
      expect(read.body).toContain('X-Receiver-Key')
    }
    const patched = await call(api, org.headers, 'PATCH', `/api/v1/webhooks/${id}`, { headers: { 'X-Receiver-Key': '********', 'X-Other': 'v2' } })
    expect(patched.statusCode, patched.body).toBe(200)
    const [row] = await ownerQuery<{ headers: Record<string, string> }>(api, 'select headers from webhook_endpoints where id = $1', [id])
    expect(row!.headers).toEqual({ 'X-Receiver-Key': 'rk_live_123', 'X-Other': 'v2' })
  })
})
