// An endpoint's own headers are only what the HTTP client can send and the dispatcher does not
// set itself (docs/decisions.md D72). The second outside probe of issue 18 created endpoints with
// headers undici refuses (Expect, Upgrade, Keep-Alive, :authority, a name with a space, values
// above U+00FF); each attempt failed inside undici and, after eight, every request to that origin
// hung. Create and PATCH refuse each one with a 400 naming it; and whatever the API accepts, undici
// sends, as a property checked with real requests to a receiver on loopback.
import fc from 'fast-check'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApi, type TestApi } from './support/api.ts'
import { call, migratePlan, newOrg, ownerQuery, type Org } from './support/domain.ts'
import { startReceiver, type WebhookReceiver } from './support/webhook-receiver.ts'

let api: TestApi
let receiver: WebhookReceiver
let org: Org

beforeAll(async () => {
  receiver = await startReceiver()
  api = await createTestApi({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' })
  org = await newOrg(api)
  await migratePlan(api, 'premium', org)
})
afterAll(async () => {
  await api?.close()
  await receiver?.close()
})

const create = (headers: Record<string, string>) =>
  call(api, org.headers, 'POST', '/api/v1/webhooks', { name: 'headers', url: receiver.url('/h'), events: ['*'], headers })

const storedHeaders = async (id: string) => (await ownerQuery<{ headers: Record<string, string> }>(api, 'select headers from webhook_endpoints where id = $1', [id]))[0]!.headers

const REFUSED: [string, Record<string, string>][] = [
  ['Expect', { Expect: '100-continue' }],
  ['Upgrade', { Upgrade: 'websocket' }],
  ['Keep-Alive', { 'Keep-Alive': 'timeout=5' }],
  ['Connection', { Connection: 'close' }],
  ['Transfer-Encoding', { 'Transfer-Encoding': 'chunked' }],
  ['TE', { TE: 'trailers' }],
  ['Trailer', { Trailer: 'x-a' }],
  ['Proxy-Connection', { 'Proxy-Connection': 'keep-alive' }],
  ['Host', { Host: 'example.com' }],
  ['Content-Length', { 'Content-Length': '1' }],
  ['Content-Type', { 'content-type': 'text/plain' }],
  ['User-Agent', { 'User-Agent': 'me' }],
  ['webhook-signature', { 'webhook-signature': 'v1,forged' }],
  ['X-Webhook-Signature', { 'X-Webhook-Signature': 'forged' }],
  ['X-Tenant-ID', { 'X-Tenant-ID': 'someone-else' }],
  [':authority', { ':authority': 'example.com' }],
  ['a name with a space', { 'X Api': 'x' }],
  ['an empty name', { '': 'x' }],
  ['a name of 101 characters', { ['x'.repeat(101)]: 'x' }],
  ['a name with a colon', { 'X-A:b': 'x' }],
  ['U+0100 in a value', { 'X-A': 'caf\u0100' }],
  ['U+2028 in a value', { 'X-A': 'a\u2028b' }],
  ['U+00E9 in a value', { 'X-A': 'caf\u00e9' }],
  ['CR LF in a value', { 'X-A': 'a\r\nX-Injected: 1' }],
  ['a lone LF in a value', { 'X-A': 'a\nb' }],
  ['NUL in a value', { 'X-A': 'a\u0000b' }],
  ['DEL in a value', { 'X-A': 'a\u007fb' }],
  ['a value of 2001 characters', { 'X-A': 'v'.repeat(2001) }],
  ['21 headers', Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-H${i}`, 'v']))],
  ['9 KiB of headers', Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`X-H${i}`, 'v'.repeat(1900)]))],
  ['a name given twice', { 'X-A': '1', 'x-a': '2' }],
]

describe('an endpoint header that cannot be sent', () => {
  it.each(REFUSED)('is refused at creation: %s', async (_label, headers) => {
    const before = await ownerQuery<{ n: number }>(api, 'select count(*)::int as n from webhook_endpoints where tenant_id = $1', [org.tenantId])
    const response = await create(headers)
    expect(response.statusCode, response.body).toBe(400)
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/)
    const problem = response.json()
    expect(problem.code).toBe('validation_failed')
    const named = Object.keys(headers).length === 1 ? Object.keys(headers)[0]! : 'headers'
    expect(JSON.stringify(problem), 'the problem names the header').toContain(JSON.stringify(named).slice(1, -1).slice(0, 40))
    expect(await ownerQuery(api, 'select count(*)::int as n from webhook_endpoints where tenant_id = $1', [org.tenantId])).toEqual(before)
  })

  it.each(REFUSED)('is refused by PATCH, which changes nothing: %s', async (_label, headers) => {
    const created = await create({ 'X-Api-Token': 'kept' })
    expect(created.statusCode, created.body).toBe(201)
    const { id } = created.json()
    const response = await call(api, org.headers, 'PATCH', `/api/v1/webhooks/${id}`, { headers, name: 'renamed' })
    expect(response.statusCode, response.body).toBe(400)
    expect(response.json().code).toBe('validation_failed')
    expect(await storedHeaders(id)).toEqual({ 'X-Api-Token': 'kept' })
    const [row] = await ownerQuery<{ name: string }>(api, 'select name from webhook_endpoints where id = $1', [id])
    expect(row!.name).toBe('headers')
  })

  it('keeps ordinary headers: tokens with visible ASCII, spaces and tabs', async () => {
    const headers = { 'X-Api-Token': 'Bearer abc.def', "x-odd!#$%&'*+.^_`|~": 'a\tb c', 'X-Empty': '' }
    const response = await create(headers)
    expect(response.statusCode, response.body).toBe(201)
    expect(await storedHeaders(response.json().id)).toEqual(headers)
  })
})

// Names and values near the edges: the names the probe used, tokens, and any string at all.
const names = fc.oneof(
  fc.constantFrom('Expect', 'Upgrade', 'Keep-Alive', 'Connection', 'Transfer-Encoding', 'TE', 'Host', ':authority', 'a b', 'Webhook-Id', 'X-Webhook-Event', 'Content-Type', 'X-Api-Token', 'Authorization'),
  fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/),
  fc.string({ maxLength: 8, unit: 'binary' }),
)
const values = fc.oneof(
  fc.stringMatching(/^[\t\x20-\x7e]{0,24}$/),
  fc.string({ maxLength: 12, unit: 'binary' }),
  fc.constantFrom('100-continue', '\u0100', '\u2028', 'a\r\nb', '\u00ff', ' padded\t'),
)

describe('whatever the API accepts', () => {
  it('undici sends as it is, to a receiver on loopback', async () => {
    let accepted = 0
    await fc.assert(
      fc.asyncProperty(fc.dictionary(names, values, { maxKeys: 4, noNullPrototype: true }), async (headers) => {
        const response = await create(headers)
        if (response.statusCode !== 201) {
          expect(response.statusCode, response.body).toBe(400)
          return
        }
        accepted += 1
        // The fetch standard's header checks, and a real request with undici's own.
        expect(() => new Headers(headers)).not.toThrow()
        const path = `/prop-${accepted}`
        const answer = await request(receiver.url(path), { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{}', headersTimeout: 5000, bodyTimeout: 5000 })
        await answer.body.text()
        expect(answer.statusCode).toBe(200)
        const [arrived] = await receiver.waitFor(1, { path, timeoutMs: 5000 })
        for (const [name, value] of Object.entries(headers)) expect(arrived!.headers[name.toLowerCase()]).toBe(value.replace(/^[\t ]+|[\t ]+$/g, ''))
      }),
      { numRuns: 150 },
    )
    // The property said something: some generated header sets were accepted.
    expect(accepted).toBeGreaterThan(5)
  }, 120_000)
})
