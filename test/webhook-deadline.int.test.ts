// No attempt outlives its timeout, whatever the HTTP client does (docs/decisions.md D72). The
// client here is a real undici Pool in the state issue 18's probe left one in: eight requests it
// refused to send (Expect: 100-continue) and every later request queues for ever, deaf to its
// abort signal. The attempt still ends at its deadline as a timeout, its slot is freed, and the
// origin gets a new pool, so the next attempt to it is delivered.
import { Pool } from 'undici'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { WebhookDispatcher } from '../src/modules/webhooks/dispatcher/index.ts'
import { HttpSender } from '../src/modules/webhooks/dispatcher/http-sender.ts'
import { createLogger } from '../src/observability/logger.ts'
import { createTestApi, type TestApi } from './support/api.ts'
import { call, createItem, migratePlan, newOrg, ownerQuery, type Org } from './support/domain.ts'
import { until } from './support/until.ts'
import { startReceiver, type WebhookReceiver } from './support/webhook-receiver.ts'

let api: TestApi
let receiver: WebhookReceiver
let org: Org

beforeAll(async () => {
  receiver = await startReceiver()
  api = await createTestApi()
  org = await newOrg(api)
  await migratePlan(api, 'premium', org)
})
afterAll(async () => {
  await api?.close()
  await receiver?.close()
})

/** A pool of the receiver's origin whose requests never settle and ignore their abort signal. */
async function wedgedPool(origin: string): Promise<Pool> {
  const pool = new Pool(origin, { connections: 8 })
  for (let n = 0; n < 8; n++) await pool.request({ path: '/', method: 'POST', headers: { expect: '100-continue' }, body: '{}' }).then((answer) => answer.body.dump(), () => undefined)
  // The precondition: a request with a 100 ms abort signal is still open a second later.
  const probe = pool.request({ path: '/probe', method: 'POST', body: '{}', signal: AbortSignal.timeout(100) }).then(() => 'settled', () => 'settled')
  expect(await Promise.race([probe, new Promise((resolve) => setTimeout(() => resolve('open'), 1000))])).toBe('open')
  return pool
}

/** The wedged pool first, real ones after it (each origin's next pool). */
function poolsStartingWith(wedged: Pool): { createPool: (origin: string) => Pool; created: Pool[] } {
  const created: Pool[] = []
  return {
    created,
    createPool: (origin) => {
      const pool = created.length === 0 ? wedged : new Pool(origin, { connections: 8 })
      created.push(pool)
      return pool
    },
  }
}

it('settles an attempt the client never lets go of as a timeout, and replaces the origin’s pool', async () => {
  const url = new URL(receiver.url('/sender'))
  const wedged = await wedgedPool(url.origin)
  const pools = poolsStartingWith(wedged)
  const sender = new HttpSender({ allowPrivate: true, connectionsPerOrigin: 8, createPool: pools.createPool })
  try {
    const settled = await Promise.race([sender.send(url, {}, '{}', 300), new Promise((resolve) => setTimeout(() => resolve('still open'), 10_000))])
    expect(settled).toMatchObject({ error: 'timeout' })
    expect((settled as { statusCode?: number }).statusCode).toBeUndefined()
    await until(async () => wedged.destroyed, (destroyed) => destroyed, 5000)

    const next = await sender.send(url, {}, '{}', 5000)
    expect(next).toMatchObject({ statusCode: 200 })
    expect(pools.created).toHaveLength(2)
  } finally {
    await sender.close()
  }
}, 30_000)

it('frees the dispatcher slot of such an attempt and records it, and the next delivery to the origin arrives', async () => {
  const created = await call(api, org.headers, 'POST', '/api/v1/webhooks', { name: 'deaf', url: receiver.url('/deaf'), events: ['inventory.created'], timeout_ms: 300, retry_count: 0 })
  expect(created.statusCode, created.body).toBe(201)
  const endpointId = created.json().id as string
  const pools = poolsStartingWith(await wedgedPool(new URL(receiver.url()).origin))
  const dispatcher = new WebhookDispatcher({
    db: api.testDb.db,
    webhooks: api.services.webhooks,
    logger: createLogger({ LOG_LEVEL: 'silent', LOG_FORMAT: 'json' }),
    settings: { allowPrivateTargets: true, retryDelaysMs: [100], concurrency: 4, perEndpointConcurrency: 8, leaseMs: 60_000, disableAfterMs: 0, idlePollMs: 50 },
    createPool: pools.createPool,
  })
  const deliveries = () => ownerQuery<{ status: string; last_error: string | null }>(api, 'select status, last_error from webhook_deliveries where endpoint_id = $1 order by created_at', [endpointId])
  await dispatcher.start()
  try {
    await createItem(api, org)
    expect(await until(deliveries, (rows) => rows[0]?.status === 'dlq', 10_000)).toEqual([{ status: 'dlq', last_error: 'timeout' }])
    expect((await until(() => dispatcher.health(), (health) => health.in_flight === 0, 5000)).in_flight).toBe(0)

    await createItem(api, org)
    await receiver.waitFor(1, { path: '/deaf', timeoutMs: 10_000 })
    expect((await until(deliveries, (rows) => rows[1]?.status === 'delivered', 10_000)).map((row) => row.status)).toEqual(['dlq', 'delivered'])
  } finally {
    await dispatcher.stop()
  }
}, 30_000)
