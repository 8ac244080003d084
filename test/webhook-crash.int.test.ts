// Crash safety, with real processes: 1,000 deliveries queued, the dispatching server killed with
// SIGKILL mid-flight, a fresh one started — every event reaches the receiver at least once. On
// PostgreSQL, two `tenantry worker` processes then share a queue without sending anything twice.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { JWT_SECRET, PASSWORD, SUPER_ADMIN_KEY } from './support/api.ts'
import { startServer, startWorker, type ServerProcess } from './support/server-process.ts'
import { createEmptyDatabase, type TestDatabase } from './support/test-database.ts'
import { serverUrl } from './support/test-env.ts'
import { startReceiver, type WebhookReceiver } from './support/webhook-receiver.ts'

const EVENTS = 1000
let receiver: WebhookReceiver
let database: TestDatabase | undefined
let dataDir: string | undefined
const running: ServerProcess[] = []

function env(extra: Record<string, string>): Record<string, string> {
  const where: Record<string, string> = database ? { DATABASE_URL: database.config.DATABASE_URL! } : { DATA_DIR: dataDir! }
  return {
    ...where, SUPER_ADMIN_KEY, JWT_SECRET, SIGNUP_ENABLED: 'true', NODE_ENV: 'test', LOG_LEVEL: 'info',
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_LEASE_MS: '1000', WEBHOOK_RETRY_DELAYS: '200', SCHEDULER_ENABLED: 'false', ...extra,
  }
}

async function start(kind: 'server' | 'worker', extra: Record<string, string>): Promise<ServerProcess> {
  const process = await (kind === 'server' ? startServer : startWorker)(env(extra), 60_000)
  running.push(process)
  return process
}

/** fetch with the JSON body, waiting out a 429 as Retry-After asks. */
async function send(url: string, method: string, headers: Record<string, string>, body?: unknown): Promise<any> {
  for (let tries = 0; tries < 20; tries++) {
    const response = await fetch(url, { method, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined })
    if (response.status === 429) {
      await new Promise((resolve) => setTimeout(resolve, Number(response.headers.get('retry-after') ?? 1) * 1000))
      continue
    }
    const text = await response.text()
    if (response.status >= 300) throw new Error(`${method} ${url}: ${response.status} ${text}`)
    return text ? JSON.parse(text) : undefined
  }
  throw new Error(`${method} ${url}: still rate limited`)
}

async function createItems(base: string, headers: Record<string, string>, count: number): Promise<void> {
  let next = 0
  const lane = async () => {
    while (next < count) {
      const n = next++
      await send(`${base}/api/v1/inventory`, 'POST', headers, { item_code: `CRASH-${n}-${Date.now()}`, name: `Item ${n}` })
    }
  }
  await Promise.all(Array.from({ length: 8 }, lane))
}

const distinctEvents = (path: string) => new Set(receiver.received.filter((request) => request.path === path).map((request) => JSON.parse(request.body).id as string))

async function waitForEvents(path: string, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (distinctEvents(path).size < count) {
    if (Date.now() > deadline) throw new Error(`${distinctEvents(path).size} of ${count} events reached ${path} in ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

let headers: Record<string, string>
let endpointId: string
const operator = { authorization: `Bearer ${SUPER_ADMIN_KEY}` }

beforeAll(async () => {
  receiver = await startReceiver()
  if (serverUrl()) database = await createEmptyDatabase()
  else dataDir = mkdtempSync(join(tmpdir(), 'tenantry-crash-'))

  // Queue 1,000 deliveries with the dispatcher off.
  const setup = await start('server', { WEBHOOK_DISPATCHER_ENABLED: 'false' })
  const email = `crash-${Date.now()}@example.test`
  const org = await send(`${setup.url}/api/v1/auth/register-organization`, 'POST', {}, { organization_name: `Crash ${Date.now()}`, admin_email: email, admin_password: PASSWORD })
  headers = { authorization: `Bearer ${org.token}` }
  await send(`${setup.url}/api/v1/tenants/${org.tenant.id}/migrate`, 'POST', operator, { targetPlan: 'enterprise' })
  const endpoint = await send(`${setup.url}/api/v1/webhooks`, 'POST', headers, { name: 'crash', url: receiver.url('/crash'), events: ['inventory.created'], timeout_ms: 1000 })
  endpointId = endpoint.id
  await createItems(setup.url, headers, EVENTS)
  expect(await setup.stop('SIGTERM')).toBe(0)
}, 180_000)

afterAll(async () => {
  for (const process of running) if (process.child.exitCode === null) process.child.kill('SIGKILL')
  await receiver?.close()
  await database?.close()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

describe('kill -9 while 1,000 deliveries are in flight', () => {
  it('loses nothing: after a restart every event reaches the receiver at least once', async () => {
    // Slow answers keep many attempts in flight when the process dies.
    receiver.answer(() => ({ status: 200, delayMs: 20 }))
    const first = await start('server', { WEBHOOK_DISPATCHER_ENABLED: 'true' })
    await receiver.waitFor(150, { path: '/crash', timeoutMs: 60_000 })
    first.child.kill('SIGKILL')
    await new Promise((resolve) => first.child.once('exit', resolve))
    const beforeRestart = distinctEvents('/crash').size
    expect(beforeRestart).toBeLessThan(EVENTS) // the kill really came mid-way

    receiver.answer(() => ({ status: 200 }))
    const second = await start('server', { WEBHOOK_DISPATCHER_ENABLED: 'true' })
    await waitForEvents('/crash', EVENTS, 90_000)
    expect(distinctEvents('/crash').size).toBe(EVENTS)
    // Duplicates are allowed (at least once) but bounded by what was in flight at the kill.
    const total = receiver.received.filter((request) => request.path === '/crash').length
    expect(total - EVENTS).toBeLessThanOrEqual(64)
    expect(await second.stop('SIGTERM')).toBe(0)
  }, 240_000)
})

describe.runIf(serverUrl())('two dispatcher processes on one PostgreSQL database', () => {
  it('share the queue and send no delivery twice', async () => {
    const setup = await start('server', { WEBHOOK_DISPATCHER_ENABLED: 'false' })
    await send(`${setup.url}/api/v1/webhooks/${endpointId}`, 'PATCH', headers, { status: 'disabled' })
    await send(`${setup.url}/api/v1/webhooks`, 'POST', headers, { name: 'pair', url: receiver.url('/pair'), events: ['inventory.created'] })
    await createItems(setup.url, headers, EVENTS)
    expect(await setup.stop('SIGTERM')).toBe(0)

    receiver.answer(() => ({ status: 200, delayMs: 2 }))
    const workers = await Promise.all([start('worker', {}), start('worker', {})])
    await waitForEvents('/pair', EVENTS, 90_000)
    await new Promise((resolve) => setTimeout(resolve, 500))
    const requests = receiver.received.filter((request) => request.path === '/pair')
    expect(requests).toHaveLength(EVENTS)
    for (const worker of workers) expect(await worker.stop('SIGTERM')).toBe(0)
    for (const worker of workers) expect(worker.output()).not.toMatch(/"level":(50|60)/)
  }, 240_000)
})
