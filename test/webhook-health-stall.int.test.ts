// /health tells a dispatcher that delivers nothing while deliveries are due (docs/decisions.md
// D72). The probe of issue 18 saw every delivery stop while /health said the dispatcher was
// "running". Here the dispatcher's only slot is held by an attempt to a receiver that never
// answers, and another delivery is due behind it: after WEBHOOK_STALL_AFTER_MS the webhooks check
// is down with the dispatcher `stalled` and the report degraded (liveness stays up); once the
// receiver goes away the attempts end, and the report is ok again.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestApi, type TestApi } from './support/api.ts'
import { call, createItem, migratePlan, newOrg, ownerQuery, type Org } from './support/domain.ts'
import { until } from './support/until.ts'
import { startReceiver, type WebhookReceiver } from './support/webhook-receiver.ts'

let api: TestApi
let silent: WebhookReceiver
let org: Org

beforeAll(async () => {
  silent = await startReceiver()
  silent.answer(() => ({ hang: true }))
  api = await createTestApi({
    WEBHOOK_DISPATCHER_ENABLED: 'true', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_CONCURRENCY: '1', WEBHOOK_MAX_RETRIES: '0', WEBHOOK_STALL_AFTER_MS: '1000',
  })
  org = await newOrg(api)
  await migratePlan(api, 'premium', org)
})
afterAll(async () => {
  await api?.close()
  await silent?.close()
})

const health = async () => {
  const response = await api.app.inject({ method: 'GET', url: '/health' })
  return { code: response.statusCode, body: response.json() }
}

it('reports the stalled dispatcher while deliveries wait behind a hanging attempt, and ok once attempts end again', async () => {
  expect((await health()).body).toMatchObject({ status: 'ok', checks: { webhooks: { status: 'up', dispatcher: 'running' } } })
  const created = await call(api, org.headers, 'POST', '/api/v1/webhooks', { name: 'silent', url: silent.url('/silent'), events: ['inventory.created'], timeout_ms: 60_000 })
  expect(created.statusCode, created.body).toBe(201)
  await createItem(api, org)
  await silent.waitFor(1)
  await createItem(api, org)

  const stalled = await until(health, (report) => report.body.checks.webhooks.dispatcher === 'stalled', 15_000)
  expect(stalled.code).toBe(200)
  expect(stalled.body).toMatchObject({
    status: 'degraded',
    checks: { database: { status: 'up' }, webhooks: { status: 'down', dispatcher: 'stalled', queue_depth: 1, error: expect.stringContaining('no webhook attempt has ended') } },
  })
  expect(stalled.body.checks.webhooks.oldest_due_age_s).toBeGreaterThanOrEqual(1)
  expect(stalled.body.checks.webhooks.last_attempt_age_s).toBeGreaterThanOrEqual(1)
  expect((await api.app.inject({ method: 'GET', url: '/health/live' })).json()).toEqual({ status: 'ok' })

  // The receiver goes away: the hanging attempt fails, the waiting delivery is refused, both dead-letter.
  await silent.close()
  await until(() => ownerQuery<{ status: string }>(api, 'select status from webhook_deliveries where tenant_id = $1', [org.tenantId]), (rows) => rows.length === 2 && rows.every((row) => row.status === 'dlq'))
  const recovered = await until(health, (report) => report.body.status === 'ok', 15_000)
  expect(recovered.body.checks.webhooks).toMatchObject({ status: 'up', dispatcher: 'running', queue_depth: 0 })
}, 60_000)
