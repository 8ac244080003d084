import { Type } from 'typebox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp, type App } from '../src/app.ts'
import { currentTenantId } from '../src/context/index.ts'
import { AppError } from '../src/errors/index.ts'
import { createTenant } from './support/factories.ts'
import { captureLogs } from './support/log-capture.ts'
import { createTestDatabase, type TestDatabase } from './support/test-database.ts'
import { createTestApi } from './support/api.ts'

let testDb: TestDatabase
let app: App
let tenantId: string
const logs = captureLogs()

beforeAll(async () => {
  testDb = await createTestDatabase({ CORS_ORIGIN: 'https://app.example.com', BODY_LIMIT_BYTES: '2048' })
  tenantId = await createTenant(testDb.db)
  app = await buildApp({ config: testDb.config, db: testDb.db, logger: logs.logger })
  // Test-only routes that exercise the pipeline the real modules will use.
  app.post<{ Body: { name: string } }>(
    '/test/echo',
    { schema: { body: { type: 'object', required: ['name'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1 } } } } },
    async (request) => ({ name: request.body.name }),
  )
  app.get<{ Querystring: { colour: string } }>(
    '/test/choice',
    { schema: { querystring: Type.Object({ colour: Type.Union([Type.Literal('red'), Type.Literal('green')]) }, { additionalProperties: false }) } },
    async (request) => ({ colour: request.query.colour }),
  )
  app.get<{ Params: { id: string } }>('/test/param/:id', async (request) => ({ id: request.params.id }))
  app.delete('/test/bodiless', async (request) => ({ body: request.body ?? null }))
  app.get('/test/app-error', async () => {
    throw new AppError('quota_exceeded', 'max_items of the basic plan (1000) reached', { limit: 'max_items' })
  })
  app.get('/test/crash', async () => {
    throw new Error('secret internal detail')
  })
  app.get('/test/duplicate', async () => {
    await testDb.db.tenantTransaction(tenantId, async (tx) => {
      await tx.query(`insert into inventory_items (tenant_id, item_code, name) values ($1, 'DUP', 'x')`, [tenantId])
      await tx.query(`insert into inventory_items (tenant_id, item_code, name) values ($1, 'DUP', 'y')`, [tenantId])
    })
  })
  app.get('/test/tenant', {
    onRequest: (request, _reply, done) => {
      request.tenantId = tenantId // stands in for tenant resolution (control-plane issue)
      done()
    },
  }, async (request) => {
    request.log.info('inside tenant route')
    return { tenant: currentTenantId() }
  })
  await app.ready()
})
afterAll(async () => {
  await app.close()
  await testDb.close()
})

describe('health', () => {
  it('reports the database up with the DESIGN §9 shape', async () => {
    const response = await app.inject('/health')
    expect(response.statusCode).toBe(200)
    expect(response.json()).toMatchObject({
      status: 'ok',
      app: 'tenantry',
      version: expect.any(String),
      checks: { database: { status: 'up', driver: testDb.db.kind }, redis: { status: 'disabled' }, webhooks: expect.any(Object) },
    })
  })

  it('answers liveness and readiness', async () => {
    expect((await app.inject('/health/live')).json()).toEqual({ status: 'ok' })
    expect((await app.inject('/health/ready')).json()).toEqual({ status: 'ready' })
  })

  it('serves the OpenAPI document and its UI', async () => {
    expect((await app.inject('/openapi.json')).json()).toMatchObject({ openapi: '3.1.0' })
    expect((await app.inject('/docs/')).statusCode).toBe(200)
  })
})

describe('errors are problem+json with stable codes', () => {
  it('unknown route', async () => {
    const response = await app.inject('/nope?x=1')
    expect(response.statusCode).toBe(404)
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(response.json()).toMatchObject({ code: 'route_not_found', status: 404, instance: '/nope', request_id: response.headers['x-request-id'] })
  })

  it('a wrong method on a route that exists is 405 with Allow, not 404', async () => {
    const response = await app.inject({ method: 'PUT', url: '/test/echo?x=1' })
    expect(response.statusCode).toBe(405)
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(response.headers.allow).toBe('POST')
    expect(response.json()).toMatchObject({ code: 'method_not_allowed', status: 405, instance: '/test/echo', detail: 'PUT is not allowed on /test/echo; allowed: POST' })
    // A parametric route matches the concrete path; GET routes answer HEAD as well.
    const onItem = await app.inject({ method: 'PUT', url: '/api/v1/roles/00000000-0000-4000-8000-000000000001' })
    expect(onItem.statusCode).toBe(405)
    expect(onItem.headers.allow).toBe('GET, HEAD, PATCH, DELETE')
    // A path no route has stays 404 whatever the method.
    expect((await app.inject({ method: 'PUT', url: '/api/v1/nope' })).json()).toMatchObject({ code: 'route_not_found', status: 404 })
  })

  it('validation failure names the field', async () => {
    const response = await app.inject({ method: 'POST', url: '/test/echo', payload: { name: '', extra: 1 } })
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('validation_failed')
    expect(response.json().errors.length).toBeGreaterThan(0)
  })

  it('an unknown property is named, in the detail and as its own path', async () => {
    const response = await app.inject({ method: 'POST', url: '/test/echo', payload: { name: 'x', colour: 'red' } })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toMatchObject({ code: 'validation_failed', errors: [{ path: 'body/colour', message: 'unknown property "colour"' }] })
    expect(response.json().detail).toBe('body/colour unknown property "colour"')
  })

  it('a value outside a closed set is one issue listing the values allowed', async () => {
    const response = await app.inject('/test/choice?colour=blue')
    expect(response.statusCode).toBe(400)
    expect(response.json().errors).toEqual([{ path: 'querystring/colour', message: 'must be one of: "red", "green"' }])
    expect((await app.inject('/test/choice?colour=green')).json()).toEqual({ colour: 'green' })
  })

  it('valid JSON that would poison a prototype is refused, and says so', async () => {
    for (const payload of ['{"name":"x","__proto__":{"admin":true}}', '{"name":"x","constructor":{"prototype":{"admin":true}}}']) {
      const response = await app.inject({ method: 'POST', url: '/test/echo', headers: { 'content-type': 'application/json' }, payload })
      expect(response.statusCode).toBe(400)
      expect(response.json()).toMatchObject({ code: 'invalid_json', detail: expect.stringContaining('prototype poisoning') })
    }
  })

  it('a JSON body sent as text/plain is 415, like any type but JSON', async () => {
    const response = await app.inject({ method: 'POST', url: '/test/echo', headers: { 'content-type': 'text/plain' }, payload: '{"name":"x"}' })
    expect(response.statusCode).toBe(415)
    expect(response.json()).toMatchObject({ code: 'unsupported_media_type', detail: 'Content-Type "text/plain" is not accepted: send the body as application/json' })
  })

  it('a compressed body is 415: the API does not decode Content-Encoding', async () => {
    const encoded = await app.inject({ method: 'POST', url: '/test/echo', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, payload: '{"name":"x"}' })
    expect(encoded.statusCode).toBe(415)
    expect(encoded.json()).toMatchObject({ code: 'unsupported_media_type', detail: expect.stringContaining('"gzip"') })
    const identity = await app.inject({ method: 'POST', url: '/test/echo', headers: { 'content-type': 'application/json', 'content-encoding': 'identity' }, payload: '{"name":"x"}' })
    expect(identity.json()).toEqual({ name: 'x' })
  })

  it('a path segment over the router limit is 400 with its instance and request id', async () => {
    const response = await app.inject(`/test/param/${'a'.repeat(300)}`)
    expect(response.statusCode).toBe(400)
    expect(response.json()).toMatchObject({ code: 'bad_request', instance: `/test/param/${'a'.repeat(300)}`, request_id: response.headers['x-request-id'] })
  })

  it('an empty body sent as JSON is no body: a bodiless route answers, a route that needs one says so', async () => {
    const json = { 'content-type': 'application/json' }
    const bodiless = await app.inject({ method: 'DELETE', url: '/test/bodiless', headers: json, payload: '' })
    expect(bodiless.statusCode).toBe(200)
    expect(bodiless.json()).toEqual({ body: null })
    const needsBody = await app.inject({ method: 'POST', url: '/test/echo', headers: json, payload: '' })
    expect(needsBody.statusCode).toBe(400)
    expect(needsBody.json()).toMatchObject({ code: 'validation_failed', detail: expect.stringContaining('body') })
  })

  it('malformed JSON', async () => {
    const response = await app.inject({ method: 'POST', url: '/test/echo', headers: { 'content-type': 'application/json' }, payload: '{"name":' })
    expect(response.statusCode).toBe(400)
    expect(response.json().code).toBe('invalid_json')
  })

  it('a body over the limit is 413', async () => {
    const response = await app.inject({ method: 'POST', url: '/test/echo', payload: { name: 'x'.repeat(4096) } })
    expect(response.statusCode).toBe(413)
    expect(response.json().code).toBe('payload_too_large')
  })

  it('an unsupported media type is 415', async () => {
    const response = await app.inject({ method: 'POST', url: '/test/echo', headers: { 'content-type': 'application/xml' }, payload: '<a/>' })
    expect(response.statusCode).toBe(415)
    expect(response.json()).toMatchObject({ code: 'unsupported_media_type', detail: 'Content-Type "application/xml" is not accepted: send the body as application/json' })
  })

  it('an AppError keeps its code, message and details', async () => {
    const response = await app.inject('/test/app-error')
    expect(response.statusCode).toBe(403)
    expect(response.json()).toMatchObject({ code: 'quota_exceeded', detail: 'max_items of the basic plan (1000) reached', limit: 'max_items' })
  })

  it('a constraint violation is translated by constraint name and changes nothing', async () => {
    const response = await app.inject('/test/duplicate')
    expect(response.statusCode).toBe(409)
    expect(response.json()).toMatchObject({ code: 'already_exists', detail: 'an item with this item_code already exists' })
    const rows = await testDb.db.tenantStatement(tenantId, `select 1 from inventory_items where item_code = 'DUP'`)
    expect(rows.rows).toEqual([])
  })

  it('an unexpected error is 500 without its internals', async () => {
    const response = await app.inject('/test/crash')
    expect(response.statusCode).toBe(500)
    expect(response.json()).toMatchObject({ code: 'internal_error', detail: 'An unexpected error occurred' })
    expect(response.body).not.toContain('secret internal detail')
  })
})

describe('request pipeline', () => {
  it('keeps a well-formed X-Request-ID and replaces a malicious one', async () => {
    expect((await app.inject({ url: '/health/live', headers: { 'x-request-id': 'trace-123' } })).headers['x-request-id']).toBe('trace-123')
    const replaced = (await app.inject({ url: '/health/live', headers: { 'x-request-id': 'bad\nid {}' } })).headers['x-request-id']
    expect(replaced).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('runs the handler in the tenant context and logs request_id and tenant_id', async () => {
    const response = await app.inject({ url: '/test/tenant', headers: { 'x-request-id': 'req-tenant-1', authorization: 'Bearer super-secret-token' } })
    expect(response.json()).toEqual({ tenant: tenantId })
    const line = logs.lines().find((entry) => entry.msg === 'inside tenant route')
    expect(line).toMatchObject({ request_id: 'req-tenant-1', tenant_id: tenantId })
    expect(logs.text()).not.toContain('super-secret-token')
  })

  it('sends security headers', async () => {
    const response = await app.inject('/health/live')
    expect(response.headers['x-content-type-options']).toBe('nosniff')
    expect(response.headers['strict-transport-security']).toBeDefined()
    expect(response.headers['x-powered-by']).toBeUndefined()
  })

  it('JSON responses get the API header set; /docs, a document, gets the full set', async () => {
    const json = await app.inject('/health/live')
    expect(json.headers).toMatchObject({ 'content-security-policy': "default-src 'none';frame-ancestors 'none'", 'x-frame-options': 'DENY', 'cache-control': 'no-store' })
    expect(json.headers['referrer-policy']).toBeUndefined()
    expect(json.headers['x-dns-prefetch-control']).toBeUndefined()

    const docs = await app.inject('/docs/')
    expect(docs.statusCode).toBe(200)
    expect(docs.headers['content-security-policy']).toContain("default-src 'self'")
    expect(docs.headers).toMatchObject({ 'referrer-policy': 'no-referrer', 'x-frame-options': 'SAMEORIGIN' })
    expect(docs.headers['cache-control']).not.toBe('no-store')
  })

  it('allows CORS only from CORS_ORIGIN', async () => {
    const preflight = (origin: string) =>
      app.inject({ method: 'OPTIONS', url: '/health', headers: { origin, 'access-control-request-method': 'GET' } })
    expect((await preflight('https://app.example.com')).headers['access-control-allow-origin']).toBe('https://app.example.com')
    expect((await preflight('https://evil.example.com')).headers['access-control-allow-origin']).toBeUndefined()
  })
})

describe('CORS_ORIGIN=false', () => {
  it('answers cross-origin requests without CORS headers, and preflights with 404', async () => {
    const closed = await createTestApi({ CORS_ORIGIN: 'false' })
    try {
      const origin = 'https://app.example.com'
      const preflight = await closed.app.inject({ method: 'OPTIONS', url: '/health', headers: { origin, 'access-control-request-method': 'GET' } })
      expect(preflight.statusCode).toBe(404)
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined()
      const read = await closed.app.inject({ url: '/health/live', headers: { origin } })
      expect(read.statusCode).toBe(200)
      expect(Object.keys(read.headers).filter((name) => name.startsWith('access-control-') || name === 'vary')).toEqual([])
    } finally {
      await closed.close()
    }
  })
})

describe('router errors', () => {
  it('a malformed URL escape is a problem+json 400 with a request id', async () => {
    const response = await app.inject('/api/v1/tenants/%E0%A4%A')
    expect(response.statusCode).toBe(400)
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(response.json()).toMatchObject({ code: 'bad_request', request_id: response.headers['x-request-id'] })
  })
})
