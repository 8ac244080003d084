// One tenant's silent receivers cannot hold back another tenant's deliveries (docs/decisions.md
// D63, D68). The security probe's case with the default WEBHOOK_CONCURRENCY (64) and
// WEBHOOK_ENDPOINT_CONCURRENCY (8): tenant A's 8 endpoints point at receivers that never answer
// and get 9 test deliveries each, enough to fill every slot of the dispatcher if each endpoint
// ran its full concurrency with its backlog behind it. An endpoint that has not answered yet has
// one attempt at a time, so tenant B's delivery to a healthy receiver arrives while A's attempts
// still hang; before D68 it arrived only when A's first attempts timed out.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestApi, type TestApi } from './support/api.ts'
import { call, migratePlan, newOrg, type Org, ownerQuery } from './support/domain.ts'
import { until } from './support/until.ts'
import { startReceiver, type WebhookReceiver } from './support/webhook-receiver.ts'

const ENDPOINTS = 8
const TESTS_PER_ENDPOINT = 9
// Long enough that A's attempts outlast the first test; they never time out here: the silent
// receivers are closed instead, and A's attempts end at once.
const HANG_TIMEOUT_MS = 10_000

let api: TestApi
// One receiver per endpoint: the sender keeps WEBHOOK_ENDPOINT_CONCURRENCY connections per origin.
let silent: WebhookReceiver[] = []
let healthy: WebhookReceiver
let a: Org
let b: Org

beforeAll(async () => {
  silent = await Promise.all(Array.from({ length: ENDPOINTS }, () => startReceiver()))
  for (const receiver of silent) receiver.answer(() => ({ hang: true }))
  healthy = await startReceiver()
  api = await createTestApi({ WEBHOOK_DISPATCHER_ENABLED: 'true', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_CONCURRENCY: '64', WEBHOOK_ENDPOINT_CONCURRENCY: '8' })
  a = await newOrg(api)
  b = await newOrg(api)
  await migratePlan(api, 'premium', a, b)
})
afterAll(async () => {
  await api?.close()
  for (const receiver of silent) await receiver.close()
  await healthy?.close()
})

async function endpoint(tenant: Org, url: string, body: Record<string, unknown> = {}): Promise<string> {
  const response = await call(api, tenant.headers, 'POST', '/api/v1/webhooks', { name: new URL(url).pathname, url, events: ['inventory.created'], ...body })
  expect(response.statusCode, response.body).toBe(201)
  return response.json().id
}

async function sendTest(tenant: Org, endpointId: string): Promise<void> {
  const response = await call(api, tenant.headers, 'POST', `/api/v1/webhooks/${endpointId}/test`)
  expect(response.statusCode, response.body).toBe(202)
}

/** What A's receivers got, in arrival order. */
const hanging = () => silent.flatMap((receiver) => receiver.received).sort((x, y) => x.at - y.at)

const deliveriesOf = (tenant: Org) =>
  ownerQuery<{ event_id: string; status: string; attempts: number }>(api, 'select event_id, status, attempts from webhook_deliveries where tenant_id = $1', [tenant.tenantId])

it("delivers tenant B's event while tenant A's silent receivers hang, one attempt each", async () => {
  const silentEndpoints: string[] = []
  for (const receiver of silent) silentEndpoints.push(await endpoint(a, receiver.url('/silent'), { timeout_ms: HANG_TIMEOUT_MS, retry_count: 0 }))
  for (let n = 0; n < TESTS_PER_ENDPOINT; n++) for (const id of silentEndpoints) await sendTest(a, id)
  await until(async () => hanging().length, (count) => count >= ENDPOINTS, 10_000)
  const firstHang = hanging()[0]!.at

  await sendTest(b, await endpoint(b, healthy.url('/healthy')))
  const [arrived] = await healthy.waitFor(1, { timeoutMs: HANG_TIMEOUT_MS * 2 })
  // None of A's attempts could have timed out yet (a second to spare): B did not wait for them.
  expect(arrived!.at - firstHang).toBeLessThan(HANG_TIMEOUT_MS - 1000)

  // Each silent endpoint has one attempt open, and gets no second while it hangs.
  await new Promise((resolve) => setTimeout(resolve, 500))
  expect(hanging()).toHaveLength(ENDPOINTS)
  expect(new Set(silent.map((receiver) => receiver.received.length))).toEqual(new Set([1]))
  const waiting = await deliveriesOf(a)
  expect(waiting).toHaveLength(ENDPOINTS * TESTS_PER_ENDPOINT)
  // Claimed and handed back while they wait for their endpoint's window: no attempt is used up.
  expect(waiting.filter((row) => row.attempts !== 0)).toEqual([])
  expect(await until(() => deliveriesOf(b), (rows) => rows[0]?.status === 'delivered')).toMatchObject([{ status: 'delivered', attempts: 1 }])
}, 60_000)

it("sends every one of A's deliveries once, never twice, as its attempts end", async () => {
  // The silent receivers go away: the hanging attempts fail at once, the rest are refused.
  for (const receiver of silent) await receiver.close()
  const total = ENDPOINTS * TESTS_PER_ENDPOINT
  const done = await until(() => deliveriesOf(a), (rows) => rows.length === total && rows.every((row) => row.status === 'dlq'), 30_000)
  expect(done.every((row) => row.attempts === 1)).toBe(true)
  const attempts = await ownerQuery<{ n: number }>(api, 'select count(*)::int as n from webhook_delivery_attempts where tenant_id = $1', [a.tenantId])
  expect(attempts[0]!.n).toBe(total)
  const seen = hanging().map((request) => JSON.parse(request.body).id as string)
  expect(new Set(seen).size).toBe(seen.length)
}, 60_000)
