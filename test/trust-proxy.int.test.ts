// TRUST_PROXY (D64): X-Forwarded-For sets the client address only on connections from a trusted
// proxy. Seen from outside through the per-address limit: two requests with different
// X-Forwarded-For values count as two addresses when it is honoured, as one when it is ignored.
// In process (no Redis), so each app counts on its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp, type App } from '../src/app.ts'
import type { Config } from '../src/config/index.ts'
import { createTestApi, type TestApi } from './support/api.ts'

let api: TestApi
const extra: App[] = []

beforeAll(async () => {
  // Production defaults (TRUST_PROXY among them); a fallback limit of 100 an hour by address.
  api = await createTestApi({ NODE_ENV: 'production', SCHEDULER_ENABLED: 'false', RATE_LIMIT_MULTIPLIER: '1', RATE_LIMIT_MAX_REQUESTS: '100', RATE_LIMIT_WINDOW_MS: '3600000' })
})
afterAll(async () => {
  for (const app of extra) await app.close()
  await api?.close()
})

/** Another app on the same database with TRUST_PROXY set as given (its own limiter). */
async function appTrusting(trustProxy: Config['TRUST_PROXY']): Promise<App> {
  const app = await buildApp({ config: { ...api.testDb.config, TRUST_PROXY: trustProxy }, db: api.testDb.db })
  extra.push(app)
  await app.ready()
  return app
}

let counter = 0
/** A public call that counts against the caller's address (anonymous); RateLimit-Remaining tells how many before it. */
async function remaining(app: App, remoteAddress: string, forwardedFor: string): Promise<number> {
  const response = await app.inject({ method: 'POST', url: '/api/v1/auth/accept-invite', remoteAddress, headers: { 'x-forwarded-for': forwardedFor }, payload: {} })
  expect(response.statusCode).toBe(400)
  return Number(response.headers['ratelimit-remaining'])
}
const clientAddress = () => `203.0.113.${1 + (counter++ % 250)}`

/** Whether X-Forwarded-For from `remoteAddress` is taken: two fresh client addresses behind one connecting address. */
async function honoured(app: App, remoteAddress: string): Promise<boolean> {
  const proxy = remoteAddress.replace('X', String(1 + Math.floor(Math.random() * 250)))
  const first = await remaining(app, proxy, clientAddress())
  const second = await remaining(app, proxy, clientAddress())
  expect(first).toBe(99)
  return second === 99
}

describe('TRUST_PROXY', () => {
  it('by default, in production too, takes X-Forwarded-For from loopback only, not from private networks', async () => {
    expect(api.testDb.config.NODE_ENV).toBe('production')
    expect(await honoured(api.app, '127.0.0.1')).toBe(true)
    for (const address of ['10.20.30.X', '172.16.0.X', '192.168.1.X', '169.254.10.X', 'fd00::X', 'fe80::X']) {
      expect(await honoured(api.app, address), address).toBe(false)
    }
  })

  it('false: ignored from everywhere, loopback included', async () => {
    const app = await appTrusting(false)
    expect(await honoured(app, '127.0.0.1')).toBe(false)
    expect(await honoured(app, '10.0.0.X')).toBe(false)
  })

  it('a list: taken from the listed proxies only', async () => {
    const app = await appTrusting(['10.0.3.0/24', '2001:db8::7'])
    expect(await honoured(app, '10.0.3.X')).toBe(true)
    expect(await honoured(app, '2001:db8::7')).toBe(true)
    expect(await honoured(app, '10.0.4.X')).toBe(false)
    expect(await honoured(app, '127.0.0.1')).toBe(false)
  })
})
