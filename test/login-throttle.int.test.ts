// DESIGN §7: login answers do not reveal whether an email exists (same answer, same work), and
// failed logins lock out per account+IP and per IP (429 + Retry-After) without locking the victim
// out from elsewhere. With REDIS_URL the counters live in Redis and outlive this file, so every
// test uses its own random IPs and fresh emails.
import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { LightMyRequestResponse } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApi, PASSWORD, type TestApi } from './support/api.ts'
import { testRedis } from './support/test-env.ts'

let api: TestApi
let redis: Redis | undefined

beforeAll(async () => {
  redis = testRedis()
  api = await createTestApi({}, { redis })
})
afterAll(async () => {
  await api?.close()
  redis?.disconnect()
})

const uniqueEmail = (prefix = 'user') => `${prefix}-${randomUUID().slice(0, 12)}@example.test`
const octet = () => 1 + Math.floor(Math.random() * 254)
const randomIp = () => `10.${octet()}.${octet()}.${octet()}`

function login(email: string, password: string, ip: string) {
  return api.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress: ip })
}

const withoutRequestFields = (response: LightMyRequestResponse) => {
  const { instance: _instance, request_id: _requestId, ...rest } = response.json() as Record<string, unknown>
  return rest
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

describe('no account enumeration', () => {
  it('answers an unknown email and a wrong password identically', async () => {
    const { email } = await api.signUp()
    const unknown = await login(uniqueEmail('ghost'), 'some-password-123', randomIp())
    const wrong = await login(email, 'some-password-123', randomIp())

    expect(unknown.statusCode).toBe(401)
    expect(wrong.statusCode).toBe(401)
    expect(withoutRequestFields(unknown)).toEqual(withoutRequestFields(wrong))
    expect(withoutRequestFields(wrong)).toMatchObject({ code: 'invalid_credentials', status: 401 })
    expect(unknown.json().instance).toBe(wrong.json().instance)
    expect(Object.keys(unknown.headers).sort()).toEqual(Object.keys(wrong.headers).sort())
    for (const name of Object.keys(wrong.headers)) {
      // Time-dependent like date: seconds to the end of the rate-limit window.
      if (['x-request-id', 'date', 'content-length', 'ratelimit-reset'].includes(name)) continue
      expect(unknown.headers[name], name).toEqual(wrong.headers[name])
    }
    expect(unknown.headers['www-authenticate']).toBe(wrong.headers['www-authenticate'])
  })

  it('an invited user without a password answers like an unknown email', async () => {
    const { token } = await api.signUp()
    const email = uniqueEmail('invited')
    const invited = await api.app.inject({ method: 'POST', url: '/api/v1/members', headers: { authorization: `Bearer ${token}` }, payload: { email, role: 'Analyst' } })
    expect(invited.json().member.status).toBe('invited')
    const attempt = await login(email, 'any-password-at-all', randomIp())
    const unknown = await login(uniqueEmail('ghost'), 'any-password-at-all', randomIp())
    expect(attempt.statusCode).toBe(401)
    expect(withoutRequestFields(attempt)).toEqual(withoutRequestFields(unknown))
  })

  it('takes about the same time for both (medians reported, only a generous sanity bound)', async ({ annotate }) => {
    const { email } = await api.signUp()
    // Warm up both paths (the dummy hash for unknown emails is computed lazily, once).
    await login(uniqueEmail('warm'), 'warm-up-password', randomIp())
    await login(email, 'warm-up-password', randomIp())

    const unknownMs: number[] = []
    const wrongMs: number[] = []
    for (let i = 0; i < 10; i++) {
      // Interleaved, each from its own IP, so neither path is throttled or favoured by drift.
      let started = performance.now()
      const a = await login(uniqueEmail('ghost'), `wrong-password-${i}`, randomIp())
      unknownMs.push(performance.now() - started)
      started = performance.now()
      const b = await login(email, `wrong-password-${i}`, randomIp())
      wrongMs.push(performance.now() - started)
      expect([a.statusCode, b.statusCode]).toEqual([401, 401])
    }
    const unknownMedian = median(unknownMs)
    const wrongMedian = median(wrongMs)
    const line = `login timing medians over 10 each: unknown email ${unknownMedian.toFixed(1)} ms, wrong password ${wrongMedian.toFixed(1)} ms (ratio ${(unknownMedian / wrongMedian).toFixed(2)})`
    console.log(line)
    await annotate(line)
    // Both paths run one argon2id verification; only a gross difference (no hashing on one path) fails.
    expect(unknownMedian / wrongMedian).toBeLessThan(3)
    expect(wrongMedian / unknownMedian).toBeLessThan(3)
  })
})

describe('failed-login lockout', () => {
  it('locks an account+IP pair after 5 failures (429 + Retry-After, even with the right password) but not the victim elsewhere', async () => {
    const { email, userId } = await api.signUp()
    const attackerIp = randomIp()
    for (let i = 1; i <= 5; i++) {
      const response = await login(email, `guess-number-${i}`, attackerIp)
      expect(response.statusCode, `attempt ${i}`).toBe(401)
      expect(response.json().code).toBe('invalid_credentials')
    }
    const locked = await login(email, PASSWORD, attackerIp)
    expect(locked.statusCode).toBe(429)
    expect(locked.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(locked.json()).toMatchObject({ code: 'rate_limited', status: 429 })
    expect(locked.json()).not.toHaveProperty('token')
    const retryAfter = Number(locked.headers['retry-after'])
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(15 * 60)

    // The victim, from their own IP, is not locked out.
    const victim = await login(email, PASSWORD, randomIp())
    expect(victim.statusCode).toBe(200)
    expect(victim.json().user.id).toBe(userId)
    // Another account from the attacker's IP is not locked either (5 is far below the IP limit).
    const bystander = await api.signUp()
    expect((await login(bystander.email, PASSWORD, attackerIp)).statusCode).toBe(200)
    // And the pair stays locked.
    expect((await login(email, PASSWORD, attackerIp)).statusCode).toBe(429)
  })

  it('answers a locked unknown email exactly like a locked real account (the lock reveals nothing)', async () => {
    const { email } = await api.signUp()
    const ip = randomIp()
    const ghost = uniqueEmail('ghost')
    for (let i = 0; i < 5; i++) {
      expect((await login(email, `nope-${i}`, ip)).statusCode).toBe(401)
      expect((await login(ghost, `nope-${i}`, ip)).statusCode).toBe(401)
    }
    const real = await login(email, 'nope-again', ip)
    const fake = await login(ghost, 'nope-again', ip)
    expect(real.statusCode).toBe(429)
    expect(fake.statusCode).toBe(429)
    const strip = (response: LightMyRequestResponse) => ({ ...withoutRequestFields(response), retry_after: undefined })
    expect(strip(real)).toEqual(strip(fake))
  })

  it('a success before the limit clears the pair counter', async () => {
    const { email } = await api.signUp()
    const ip = randomIp()
    for (let i = 0; i < 4; i++) expect((await login(email, `typo-${i}`, ip)).statusCode).toBe(401)
    expect((await login(email, PASSWORD, ip)).statusCode).toBe(200)
    for (let i = 0; i < 4; i++) expect((await login(email, `typo-again-${i}`, ip)).statusCode).toBe(401)
    expect((await login(email, PASSWORD, ip)).statusCode).toBe(200)
  })

  it('locks an IP that sprays 30 different accounts, for a new account too, but not that account elsewhere', async () => {
    const sprayIp = randomIp()
    for (let i = 1; i <= 30; i++) {
      const response = await login(uniqueEmail(`spray${i}`), 'Winter2024!', sprayIp)
      expect(response.statusCode, `attempt ${i}`).toBe(401)
    }
    const { email } = await api.signUp()
    const refused = await login(email, PASSWORD, sprayIp)
    expect(refused.statusCode).toBe(429)
    expect(refused.json().code).toBe('rate_limited')
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)

    expect((await login(email, PASSWORD, randomIp())).statusCode).toBe(200)
  })
})
