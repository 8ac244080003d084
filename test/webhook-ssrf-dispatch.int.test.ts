// The SSRF guard at send time, through the real dispatcher: a name that resolved to a public
// address when the endpoint was created and to loopback now (DNS rebinding), and IP literals that
// never pass through a lookup, are refused before any byte reaches the target.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runWithTenant } from '../src/context/index.ts'
import { WebhookDispatcher } from '../src/modules/webhooks/dispatcher/index.ts'
import { WebhooksService } from '../src/modules/webhooks/index.ts'
import { rebindingResolver } from '../src/modules/webhooks/ssrf/test-resolvers.ts'
import { createLogger } from '../src/observability/logger.ts'
import { createTestApi, type TestApi } from './support/api.ts'
import { call, createItem, newOrg, ownerQuery, type Org } from './support/domain.ts'
import { startReceiver, type WebhookReceiver } from './support/webhook-receiver.ts'
import { until } from './support/until.ts'

let api: TestApi
let receiver: WebhookReceiver
let org: Org
let dispatcher: WebhookDispatcher
const resolve = rebindingResolver('rebind.example.com', '93.184.216.34', '127.0.0.1')

beforeAll(async () => {
  receiver = await startReceiver()
  api = await createTestApi({ WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false' })
  org = await newOrg(api)
  await call(api, api.operator, 'POST', `/api/v1/tenants/${org.tenantId}/migrate`, { targetPlan: 'premium' })
  dispatcher = new WebhookDispatcher({
    db: api.testDb.db,
    webhooks: api.services.webhooks,
    logger: createLogger({ LOG_LEVEL: 'silent', LOG_FORMAT: 'json' }),
    resolve,
    settings: { allowPrivateTargets: false, retryDelaysMs: [1000], concurrency: 8, perEndpointConcurrency: 2, leaseMs: 5000, disableAfterMs: 0, idlePollMs: 50 },
  })
  await dispatcher.start()
})
afterAll(async () => {
  await dispatcher?.stop()
  await api?.close()
  await receiver?.close()
})

const attemptsOf = (endpointId: string) =>
  ownerQuery<{ outcome: string; status_code: number | null; error: string | null }>(
    api,
    'select a.outcome, a.status_code, a.error from webhook_delivery_attempts a join webhook_deliveries d on d.tenant_id = a.tenant_id and d.id = a.delivery_id where d.endpoint_id = $1',
    [endpointId],
  )

const firstAttempt = async (endpointId: string) => (await until(() => attemptsOf(endpointId), (rows) => rows.length > 0, 10_000))[0]!

describe('at send time', () => {
  it('refuses a name that rebinds to loopback after passing the creation check', async () => {
    const port = new URL(receiver.url()).port
    // Created through the service with the same resolver: the first answer (public) passes.
    const webhooks = new WebhooksService(api.testDb.db, api.testDb.config, resolve)
    const endpoint = await runWithTenant(org.tenantId, () => webhooks.create({ name: 'rebind', url: `http://rebind.example.com:${port}/hook`, events: ['inventory.created'], retry_count: 0 }), { type: 'system' })
    await createItem(api, org)
    const attempt = await firstAttempt(endpoint.id)
    expect(attempt).toMatchObject({ outcome: 'dlq', status_code: null })
    expect(attempt.error).toContain('ERR_SSRF_BLOCKED')
    expect(receiver.received).toHaveLength(0)
  })

  it.each([
    ['loopback', 'http://127.0.0.1:{port}/hook'],
    ['IPv4 inside IPv6', 'http://[::ffff:7f00:1]:{port}/hook'],
    ['an odd IPv4 spelling', 'http://0x7f.1:{port}/hook'],
    ['a decimal IPv4 spelling', 'http://2130706433:{port}/hook'],
    ['the metadata address', 'http://169.254.169.254/latest/meta-data'],
  ])('refuses %s written straight into the database (no lookup happens for literals)', async (_name, template) => {
    const url = template.replace('{port}', new URL(receiver.url()).port)
    const created = await call(api, org.headers, 'POST', '/api/v1/webhooks', { name: 'later', url: 'https://93.184.216.34/hook', events: ['inventory.created'], retry_count: 0 })
    expect(created.statusCode, created.body).toBe(201)
    const id = created.json().id as string
    await ownerQuery(api, 'update webhook_endpoints set url = $2 where id = $1', [id, url])
    await createItem(api, org)
    const attempt = await firstAttempt(id)
    expect(attempt.error).toContain('ERR_SSRF_BLOCKED')
    expect(receiver.received).toHaveLength(0)
    await ownerQuery(api, "update webhook_endpoints set status = 'disabled' where id = $1", [id])
  })
})
