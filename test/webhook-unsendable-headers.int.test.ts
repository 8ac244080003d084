// Issue 18, item 1, as the outside probe did it (docs/decisions.md D72): tenant A's endpoints carry
// headers undici refuses to send (written into the database, as endpoints stored before the API
// refused them), next to 25 ordinary endpoints on the same receiver origin. Before the fix each
// refused attempt left one of that origin's pooled connections waiting for a drain that never
// came; after eight, every request to the origin hung past its timeout and held its slot, A's
// ordinary endpoints took every slot, and tenant B's deliveries to a healthy receiver stopped.
// Now the unsendable attempts fail before any connection, follow the retry schedule into `dlq`
// with their error recorded, and everyone else's deliveries arrive.
//
// The second case is the origin's share (D72): 25 endpoints of one tenant on one origin that never
// answers hold at most a quarter of the slots, so B's delivery does not wait for their timeouts.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestApi, type TestApi } from './support/api.ts'
import { call, createItem, migratePlan, newOrg, ownerQuery, type Org } from './support/domain.ts'
import { until } from './support/until.ts'
import { startReceiver, type WebhookReceiver } from './support/webhook-receiver.ts'

const DELAYS = [200, 400]
const ORDINARY = 25
const EVENTS = 3
const UNSENDABLE: Record<string, string>[] = [
  { Expect: '100-continue' }, { Upgrade: 'websocket' }, { 'Keep-Alive': 'timeout=5' }, { 'Transfer-Encoding': 'chunked' },
  { ':authority': 'example.com' }, { 'X Api': 'x' }, { 'X-A': 'caf\u0100' }, { 'X-A': 'a\u2028b' }, { 'X-A': 'a\r\nb' },
]
// A's silent receiver answers nothing for longer than the test waits for B.
const HANG_TIMEOUT_MS = 30_000

let api: TestApi
let shared: WebhookReceiver
let healthy: WebhookReceiver
let silent: WebhookReceiver

beforeAll(async () => {
  ;[shared, healthy, silent] = await Promise.all([startReceiver(), startReceiver(), startReceiver()])
  silent.answer(() => ({ hang: true }))
  api = await createTestApi({
    WEBHOOK_DISPATCHER_ENABLED: 'true', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_CONCURRENCY: '64', WEBHOOK_ENDPOINT_CONCURRENCY: '8',
    WEBHOOK_RETRY_DELAYS: DELAYS.join(','), WEBHOOK_MAX_RETRIES: String(DELAYS.length),
  })
})
afterAll(async () => {
  await api?.close()
  for (const receiver of [shared, healthy, silent]) await receiver?.close()
})

async function tenant(): Promise<Org> {
  const org = await newOrg(api)
  await migratePlan(api, 'premium', org)
  return org
}

async function endpoint(org: Org, url: string, body: Record<string, unknown> = {}): Promise<string> {
  const response = await call(api, org.headers, 'POST', '/api/v1/webhooks', { name: new URL(url).pathname, url, events: ['inventory.created'], ...body })
  expect(response.statusCode, response.body).toBe(201)
  return response.json().id
}

async function sendTests(org: Org, endpointId: string, count: number): Promise<void> {
  for (let n = 0; n < count; n++) expect((await call(api, org.headers, 'POST', `/api/v1/webhooks/${endpointId}/test`)).statusCode).toBe(202)
}

const deliveriesOf = (endpointIds: string[]) =>
  ownerQuery<{ endpoint_id: string; status: string; attempts: number; last_error: string | null }>(api, 'select endpoint_id, status, attempts, last_error from webhook_deliveries where endpoint_id = any($1::uuid[])', [endpointIds])

it("delivers B's events and A's ordinary ones, and dead-letters A's unsendable ones on the retry schedule", async () => {
  const a = await tenant()
  const b = await tenant()
  const unsendable: string[] = []
  for (const [n, headers] of UNSENDABLE.entries()) {
    const id = await endpoint(a, shared.url(`/unsendable-${n}`))
    // As the schema owner: the API refuses these headers now.
    await ownerQuery(api, 'update webhook_endpoints set headers = $1::jsonb where id = $2', [JSON.stringify(headers), id])
    unsendable.push(id)
  }
  for (let n = 0; n < ORDINARY; n++) await endpoint(a, shared.url(`/ordinary-${n}`))
  for (let n = 0; n < EVENTS; n++) await createItem(api, a)

  const healthyEndpoint = await endpoint(b, healthy.url('/b'))
  await sendTests(b, healthyEndpoint, EVENTS)
  expect(await healthy.waitFor(EVENTS, { timeoutMs: 20_000 })).toHaveLength(EVENTS)
  await shared.waitFor(ORDINARY * EVENTS, { timeoutMs: 20_000 })
  expect(shared.received.filter((request) => request.path.startsWith('/unsendable-'))).toEqual([])

  const dead = await until(() => deliveriesOf(unsendable), (rows) => rows.length === UNSENDABLE.length * EVENTS && rows.every((row) => row.status === 'dlq'), 20_000)
  expect(dead.every((row) => row.attempts === DELAYS.length + 1 && /^header ".+" cannot be sent/.test(row.last_error ?? ''))).toBe(true)
  const attempts = await ownerQuery<{ delivery_id: string; attempt: number; outcome: string; error: string; started_at: Date }>(
    api,
    `select a.delivery_id, a.attempt, a.outcome, a.error, a.started_at from webhook_delivery_attempts a
       join webhook_deliveries d on d.tenant_id = a.tenant_id and d.id = a.delivery_id where d.endpoint_id = any($1::uuid[]) order by a.delivery_id, a.attempt`,
    [unsendable],
  )
  expect(attempts).toHaveLength(UNSENDABLE.length * EVENTS * (DELAYS.length + 1))
  for (let i = 0; i < attempts.length; i += DELAYS.length + 1) {
    const one = attempts.slice(i, i + DELAYS.length + 1)
    expect(one.map((row) => row.outcome)).toEqual(['failed', 'failed', 'dlq'])
    // Each retry waited at least its delay (jitter only adds).
    for (const [n, delay] of DELAYS.entries()) expect(one[n + 1]!.started_at.getTime() - one[n]!.started_at.getTime()).toBeGreaterThanOrEqual(delay - 5)
  }
  const named = await ownerQuery<{ error: string }>(api, `select a.error from webhook_delivery_attempts a join webhook_deliveries d on d.tenant_id = a.tenant_id and d.id = a.delivery_id where d.endpoint_id = $1 limit 1`, [unsendable[0]])
  expect(named[0]!.error).toContain('"Expect"')
}, 60_000)

it("delivers B's event while 25 of one tenant's endpoints on one silent origin hang", async () => {
  const c = await tenant()
  const b = await tenant()
  const ids: string[] = []
  for (let n = 0; n < ORDINARY; n++) ids.push(await endpoint(c, silent.url(`/silent-${n}`), { timeout_ms: HANG_TIMEOUT_MS, retry_count: 0 }))
  for (const id of ids) await sendTests(c, id, EVENTS)
  await until(async () => silent.received.length, (count) => count > 0, 10_000)

  const before = healthy.received.length
  await sendTests(b, await endpoint(b, healthy.url('/b-after-silent')), 1)
  // Well before C's attempts time out: B did not wait for the slots C's endpoints hold.
  const [arrived] = await healthy.waitFor(1, { path: '/b-after-silent', timeoutMs: HANG_TIMEOUT_MS / 2 })
  expect(arrived).toBeDefined()
  expect(healthy.received.length).toBe(before + 1)
  // C's attempts were still open: none had ended, none was recorded.
  expect((await deliveriesOf(ids)).filter((row) => row.attempts > 0)).toEqual([])
  await silent.close()
}, 60_000)
