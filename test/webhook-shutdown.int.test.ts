// Graceful shutdown of the dispatcher: attempts that finish within the grace period are recorded;
// the rest are aborted and their claims handed back at once (no lease to wait out, no attempt
// counted), so the next dispatcher sends them straight away.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { WebhookDispatcher } from '../src/modules/webhooks/dispatcher/index.ts'
import { createLogger } from '../src/observability/logger.ts'
import { createTestApi, type TestApi } from './support/api.ts'
import { call, createItem, newOrg, ownerQuery, type Org } from './support/domain.ts'
import { startReceiver, type WebhookReceiver } from './support/webhook-receiver.ts'

let api: TestApi
let receiver: WebhookReceiver
let org: Org

const dispatcher = () =>
  new WebhookDispatcher({
    db: api.testDb.db,
    webhooks: api.services.webhooks,
    logger: createLogger({ LOG_LEVEL: 'silent', LOG_FORMAT: 'json' }),
    // A long lease: if claims were not handed back, the second dispatcher would wait a minute.
    settings: { allowPrivateTargets: true, retryDelaysMs: [1000], concurrency: 16, perEndpointConcurrency: 8, leaseMs: 60_000, disableAfterMs: 0, idlePollMs: 50 },
  })

beforeAll(async () => {
  receiver = await startReceiver()
  api = await createTestApi()
  org = await newOrg(api)
  await call(api, api.operator, 'POST', `/api/v1/tenants/${org.tenantId}/migrate`, { targetPlan: 'premium' })
})
afterAll(async () => {
  await api?.close()
  await receiver?.close()
})

it('releases unfinished claims on stop, and a new dispatcher delivers them at once', async () => {
  receiver.answer(() => ({ status: 200, delayMs: 3000 }))
  const created = await call(api, org.headers, 'POST', '/api/v1/webhooks', { name: 'slow', url: receiver.url('/slow'), events: ['inventory.created'] })
  const id = created.json().id as string
  for (let i = 0; i < 4; i++) await createItem(api, org)

  const first = dispatcher()
  await first.start()
  // A new endpoint has one attempt at a time (D68): one in flight, the other three claimed and
  // waiting behind it, or handed back.
  await receiver.waitFor(1, { path: '/slow' })
  const stopping = Date.now()
  await first.stop(100)
  expect(Date.now() - stopping).toBeLessThan(2500) // did not wait for the 3 s answers

  const rows = await ownerQuery<{ status: string; attempts: number; lease_token: string | null }>(api, 'select status, attempts, lease_token from webhook_deliveries where endpoint_id = $1', [id])
  expect(rows).toHaveLength(4)
  for (const row of rows) expect(row).toEqual({ status: 'pending', attempts: 0, lease_token: null })

  receiver.answer(() => ({ status: 200 }))
  const second = dispatcher()
  await second.start()
  try {
    await receiver.waitFor(5, { path: '/slow', timeoutMs: 5000 })
  } finally {
    await second.stop()
  }
  const after = await ownerQuery<{ status: string }>(api, 'select status from webhook_deliveries where endpoint_id = $1', [id])
  expect(after.map((row) => row.status)).toEqual(['delivered', 'delivered', 'delivered', 'delivered'])
})

it('is woken by the commit that queued a delivery, not by its poll', async () => {
  receiver.answer(() => ({ status: 200 }))
  await call(api, org.headers, 'POST', '/api/v1/webhooks', { name: 'wake', url: receiver.url('/wake'), events: ['inventory.created'] })
  const sleepy = new WebhookDispatcher({
    db: api.testDb.db,
    webhooks: api.services.webhooks,
    logger: createLogger({ LOG_LEVEL: 'silent', LOG_FORMAT: 'json' }),
    // It looks once at start, then polls only every 10 minutes: only the NOTIFY can wake it.
    settings: { allowPrivateTargets: true, retryDelaysMs: [1000], concurrency: 16, perEndpointConcurrency: 8, leaseMs: 60_000, disableAfterMs: 0, idlePollMs: 600_000 },
  })
  await sleepy.start()
  try {
    await new Promise((resolve) => setTimeout(resolve, 300)) // past its first look at the queue
    await createItem(api, org)
    await receiver.waitFor(1, { path: '/wake', timeoutMs: 10_000 })
  } finally {
    await sleepy.stop()
  }
})
