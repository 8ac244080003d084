// WEBHOOK_DISABLE_AFTER: an endpoint that keeps failing without a success for that long is
// disabled (failure_count and last_failure_at kept), while one failure after a success is not.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestApi, type TestApi } from './support/api.ts'
import { call, createItem, newOrg, ownerQuery, type Org } from './support/domain.ts'
import { startReceiver, type WebhookReceiver } from './support/webhook-receiver.ts'
import { until } from './support/until.ts'

let api: TestApi
let receiver: WebhookReceiver
let org: Org

beforeAll(async () => {
  receiver = await startReceiver()
  api = await createTestApi({ WEBHOOK_DISPATCHER_ENABLED: 'true', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_RETRY_DELAYS: '50', WEBHOOK_MAX_RETRIES: '0', WEBHOOK_DISABLE_AFTER: '1s' })
  org = await newOrg(api)
  await call(api, api.operator, 'POST', `/api/v1/tenants/${org.tenantId}/migrate`, { targetPlan: 'premium' })
})
afterAll(async () => {
  await api?.close()
  await receiver?.close()
})

const endpointRow = (id: string) =>
  ownerQuery<{ status: string; failure_count: number; last_failure_at: Date | null; last_success_at: Date | null }>(api, 'select status, failure_count, last_failure_at, last_success_at from webhook_endpoints where id = $1', [id]).then((rows) => rows[0]!)

/** Waits until `deliveries` of the endpoint's deliveries are finished (delivered or dead-lettered). */
const settle = (id: string, deliveries: number) =>
  until(
    () => ownerQuery<{ n: number }>(api, "select count(*)::int as n from webhook_deliveries where endpoint_id = $1 and status in ('delivered', 'dlq')", [id]),
    (rows) => rows[0]!.n >= deliveries,
    10_000,
  )

it('disables an endpoint failing for longer than WEBHOOK_DISABLE_AFTER without a success', async () => {
  receiver.answer((request) => (request.path === '/failing' ? { status: 503 } : { status: 200 }))
  const created = await call(api, org.headers, 'POST', '/api/v1/webhooks', { name: 'failing', url: receiver.url('/failing'), events: ['inventory.created'] })
  const id = created.json().id as string
  await createItem(api, org)
  await settle(id, 1)
  expect(await endpointRow(id)).toMatchObject({ status: 'active', failure_count: 1, last_success_at: null })

  await new Promise((resolve) => setTimeout(resolve, 1100))
  await createItem(api, org)
  await settle(id, 2)
  const row = await endpointRow(id)
  expect(row).toMatchObject({ status: 'disabled', failure_count: 2 })
  expect(row.last_failure_at).not.toBeNull()
})

it('keeps an endpoint whose last success is recent', async () => {
  let fail = false
  receiver.answer((request) => (request.path === '/flaky' && fail ? { status: 500 } : { status: 200 }))
  const created = await call(api, org.headers, 'POST', '/api/v1/webhooks', { name: 'flaky', url: receiver.url('/flaky'), events: ['inventory.created'] })
  const id = created.json().id as string
  await new Promise((resolve) => setTimeout(resolve, 1100)) // older than the period, but…
  await createItem(api, org)
  await settle(id, 1) // …it succeeds now
  fail = true
  await createItem(api, org)
  await settle(id, 2)
  expect(await endpointRow(id)).toMatchObject({ status: 'active', failure_count: 1 })
})
