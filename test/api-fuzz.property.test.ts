// Every API operation, called with malformed input: the answer is a 4xx problem+json with a
// stable code, never a 5xx, never another body. The operations come from /openapi.json (which
// test/openapi.int.test.ts holds to every route), so a new route is fuzzed without a change here.
// Callers are a tenant Admin (gets past authentication to validation and the handlers), an
// Analyst, an API key and the platform operator, at times with forged credentials and tenant
// selectors; path parameters, query strings, bodies and content types are what an attacker or a
// buggy client would send.
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, createTestApi, type TestApi } from './support/api.ts'
import { valueOf, type JsonSchema } from './support/schema-arbitrary.ts'

interface Operation {
  method: string
  /** OpenAPI path, e.g. /api/v1/inventory/{id} */
  path: string
  pathParams: string[]
  queryParams: string[]
  bodyProperties: string[]
  parameterSchemas: Record<string, JsonSchema>
  bodySchema: JsonSchema | undefined
}

// A tenant Admin, an Analyst (mostly refused by RBAC), an API key with two permissions, the operator.
const CALLERS = ['admin', 'analyst', 'apiKey', 'operator'] as const
type Caller = (typeof CALLERS)[number]

interface Attempt {
  caller: Caller
  pathValues: string[]
  query: [string, string][]
  body: { contentType: string; payload: string } | undefined
  /** Set over the caller's own: forged credentials, tenant selectors, request ids. */
  headers?: Record<string, string>
}

// Requests that end the caller's own session would leave the rest of the run unauthenticated.
const SESSION_ENDING = /\/auth\/(logout|sessions)/
// FUZZ_RUNS=30000 for a longer search by hand; the suite's default keeps it to a few seconds.
const RUNS = Number(process.env.FUZZ_RUNS ?? 1500)

let api: TestApi
let operations: Operation[]
let headers: Record<Caller, Record<string, string>>

beforeAll(async () => {
  api = await createTestApi()
  const org = await api.signUp()
  const analyst = await api.addMember(org.token, 'Analyst')
  const key = await api.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: bearer(org.token), payload: { name: 'fuzz', permissions: ['inventory:read', 'orders:write'] } })
  expect(key.statusCode, key.body).toBe(201)
  headers = { admin: bearer(org.token), analyst: bearer(analyst.token), apiKey: bearer(key.json().key), operator: api.operator }
  const document = (await api.app.inject('/openapi.json')).json() as {
    paths: Record<string, Record<string, { parameters?: { in: string; name: string; schema?: JsonSchema }[]; requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>>
  }
  operations = Object.entries(document.paths)
    .filter(([path]) => path.startsWith('/api/') && !SESSION_ENDING.test(path))
    .flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({
        method: method.toUpperCase(),
        path,
        pathParams: [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!),
        queryParams: (operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        bodyProperties: Object.keys(operation.requestBody?.content?.['application/json']?.schema?.properties ?? {}),
        parameterSchemas: Object.fromEntries((operation.parameters ?? []).map((p) => [p.name, p.schema ?? {}])),
        bodySchema: operation.requestBody?.content?.['application/json']?.schema,
      })),
    )
})
afterAll(() => api?.close())

// Sent as they are: bad percent-escapes and bytes that are not UTF-8.
const RAW_SEGMENTS = ['%ED%A0%80', '%C0%AF', '%FF', '%', '%zz', '%2e%2e', '..']

const hostile = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.uuid(),
  fc.constantFrom(
    '', ' ', '0', '-1', '1e309', 'NaN', 'null', 'true', '[]', '{}', '../../etc/passwd', '%00', '\u0000', '\uD800',
    "' or 1=1 --", '<script>alert(1)</script>', '$where', '__proto__', 'constructor', 'x'.repeat(5000),
    '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '2026-02-30', '9'.repeat(40),
  ),
  fc.constantFrom(...RAW_SEGMENTS),
)
const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  hostile,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(hostile, { maxLength: 3 }),
  fc.dictionary(hostile, hostile, { maxKeys: 3 }),
)

function bodyFor(operation: Operation): fc.Arbitrary<Attempt['body']> {
  const declared = operation.bodyProperties.length > 0 ? fc.constantFrom(...operation.bodyProperties) : hostile
  const json = (value: unknown) => ({ contentType: 'application/json', payload: JSON.stringify(value) ?? 'null' })
  return fc.oneof(
    fc.constant(undefined),
    fc.dictionary(declared, hostileJson, { maxKeys: 6 }).map(json),
    fc.jsonValue({ maxDepth: 3 }).map(json),
    fc.record({ __proto__: hostileJson, constructor: hostileJson }).map(json),
    fc.string({ maxLength: 60 }).map((payload) => ({ contentType: 'application/json', payload })), // rarely valid JSON
    fc.record({
      contentType: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16'),
      payload: fc.string({ maxLength: 60 }),
    }),
  )
}

// Header values must be printable ASCII to be sent at all.
const headerValue = fc.oneof(
  fc.stringMatching(/^[\x20-\x7e]{0,80}$/),
  fc.uuid(),
  fc.constantFrom(
    'Bearer', 'Bearer ', 'Bearer x.y.z', 'Basic Zm9vOmJhcg==', 'bearer tnt_00_00',
    'Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4IiwidGlkIjoieCJ9.',
    'default', 'localhost', '*', '../', 'x'.repeat(2000),
  ),
)
const forgedHeaders = fc.dictionary(
  fc.constantFrom('authorization', 'x-tenant-id', 'x-tenant-slug', 'x-request-id', 'x-forwarded-for', 'host', 'accept', 'origin'),
  headerValue,
  { maxKeys: 3 },
)

function attemptFor(operation: Operation): fc.Arbitrary<Attempt> {
  const queryName = operation.queryParams.length > 0 ? fc.oneof(fc.constantFrom(...operation.queryParams), hostile) : hostile
  return fc.record({
    caller: fc.constantFrom(...CALLERS),
    pathValues: fc.tuple(...operation.pathParams.map(() => hostile)).map((values) => values as string[]),
    query: fc.array(fc.tuple(queryName, hostile), { maxLength: 4 }),
    body: operation.method === 'GET' ? fc.constant(undefined) : bodyFor(operation),
    headers: fc.option(forgedHeaders, { nil: undefined, freq: 3 }),
  })
}

/** Percent-encodes every byte but unreserved characters (lone surrogates become U+FFFD, as any client sends them). */
function encodeSegment(value: string): string {
  if (RAW_SEGMENTS.includes(value)) return value
  return [...Buffer.from(value, 'utf8')].map((byte) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).padStart(2, '0').toUpperCase()}`)).join('')
}

/** Requests of the declared shape, edge values included: they reach the handlers and the database. */
function wellFormedFor(operation: Operation): fc.Arbitrary<Attempt> {
  const text = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value))
  return fc.record({
    caller: fc.constantFrom<Caller>('admin', 'admin', 'apiKey', 'operator'),
    pathValues: fc.tuple(...operation.pathParams.map((name) => valueOf(operation.parameterSchemas[name]).map(text))).map((values) => values as string[]),
    query: fc.tuple(...operation.queryParams.map((name) => fc.option(valueOf(operation.parameterSchemas[name]).map((value): [string, string] => [name, text(value)]), { nil: undefined })))
      .map((pairs) => pairs.filter((pair): pair is [string, string] => pair !== undefined)),
    body: operation.bodySchema ? valueOf(operation.bodySchema).map((value) => ({ contentType: 'application/json', payload: JSON.stringify(value) })) : fc.constant(undefined),
  })
}

async function send(operation: Operation, attempt: Attempt) {
  let url = operation.path
  operation.pathParams.forEach((name, i) => {
    // An empty segment would route elsewhere (a listing): that is a different request, not a malformed one.
    url = url.replace(`{${name}}`, encodeSegment(attempt.pathValues[i] || '-'))
  })
  const query = new URLSearchParams(attempt.query).toString()
  if (query) url += `?${query}`
  return api.app.inject({
    method: operation.method as 'GET',
    url,
    headers: { ...headers[attempt.caller], ...attempt.headers, ...(attempt.body ? { 'content-type': attempt.body.contentType } : {}) },
    ...(attempt.body ? { payload: attempt.body.payload } : {}),
  })
}

/** RUNS random requests: an operation, then an attempt at it from `attemptOf`. */
async function sendMany(attemptOf: (operation: Operation) => fc.Arbitrary<Attempt>): Promise<void> {
  const arbitrary = fc.integer({ min: 0, max: operations.length - 1 }).chain((index) => fc.tuple(fc.constant(index), attemptOf(operations[index]!)))
  await fc.assert(
    fc.asyncProperty(arbitrary, async ([index, attempt]) => {
      const operation = operations[index]!
      expectClientError(await send(operation, attempt), `${operation.method} ${operation.path} ${JSON.stringify(attempt).slice(0, 600)}`)
    }),
    { numRuns: RUNS },
  )
}

function expectClientError(response: Awaited<ReturnType<typeof send>>, what: string): void {
  expect(response.statusCode, `${what} → ${response.statusCode} ${response.body.slice(0, 300)}`).toBeLessThan(500)
  if (response.statusCode < 400) return
  expect(response.headers['content-type'], what).toMatch(/^application\/problem\+json/)
  const problem = response.json() as { code?: unknown; status?: unknown; title?: unknown }
  expect(problem.code, what).toMatch(/^[a-z][a-z_]*$/)
  expect(problem.status, what).toBe(response.statusCode)
}

describe('every API operation, given malformed input', () => {
  it('covers the API', () => {
    expect(operations.length).toBeGreaterThan(40)
  })

  it('answers the classic mistakes with a 4xx problem (every operation, every caller)', async () => {
    const classics: Omit<Attempt, 'caller' | 'pathValues'>[] = [
      { query: [], body: { contentType: 'application/json', payload: '{"unterminated": ' } },
      { query: [], body: { contentType: 'application/json', payload: '' } },
      { query: [], body: { contentType: 'text/plain', payload: 'hello' } },
      { query: [['limit', '-1'], ['cursor', '%%%']], body: { contentType: 'application/json', payload: '[]' } },
      { query: [], body: { contentType: 'application/json', payload: 'null' } },
    ]
    // Text PostgreSQL cannot store: NUL in each query parameter, then in each body property, one at a time.
    const nul = (operation: Operation): Omit<Attempt, 'caller' | 'pathValues'>[] => [
      ...operation.queryParams.map((name): Omit<Attempt, 'caller' | 'pathValues'> => ({ query: [[name, '\u0000']], body: undefined })),
      ...operation.bodyProperties.map((name) => ({ query: [], body: { contentType: 'application/json', payload: JSON.stringify({ [name]: 'a\u0000b' }) } })),
    ]
    for (const operation of operations) {
      for (const caller of CALLERS) {
        for (const classic of [...classics, ...nul(operation)]) {
          const attempt = { ...classic, caller, pathValues: operation.pathParams.map(() => 'not-a-uuid'), body: operation.method === 'GET' ? undefined : classic.body }
          expectClientError(await send(operation, attempt), `${operation.method} ${operation.path} as ${caller} with ${JSON.stringify(classic)}`)
        }
      }
    }
  })

  it('never answers well-formed input, edge values included, with a 5xx', () => sendMany(wellFormedFor), Math.max(60_000, RUNS * 10))

  it('never answers random hostile input with a 5xx or a body that is not a problem', () => sendMany(attemptFor), Math.max(60_000, RUNS * 10))
})
