import { createHmac, timingSafeEqual } from 'node:crypto'
import { Webhook, WebhookVerificationError } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import { buildEventBody } from './payload.ts'
import {
  isWebhookSecret,
  keyFromWhsec,
  newWebhookSecret,
  signDelivery,
  standardSignature,
  standardWebhooksKey,
  verifyLegacySignature,
  verifyStandardWebhook,
  type SignDeliveryInput,
} from './signatures.ts'

// The Standard Webhooks reference vector (standard-webhooks/standard-webhooks,
// libraries/javascript/src/webhook.test.ts, "sign function works").
const VECTOR = {
  key: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  payload: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
}

const OLD = 'a3f1c2d4e5b6a7980123456789abcdef0123456789abcdef0123456789abcdef'
const NEW = newWebhookSecret()
const EVENT = {
  id: 'evt_0190a3f27c4e7b1d8e2f3a4b5c6d7e8f',
  type: 'member.created',
  tenant_id: '0190a3f2-7c4e-7b1d-8e2f-3a4b5c6d7e8f',
  created_at: '2025-01-02T03:04:05.678Z',
  data: { member_id: 'm_1', name: 'Zoë "Z" 🎉', amount: 1.0 },
}
const BODY = buildEventBody(EVENT)
const now = () => Math.floor(Date.now() / 1000)
const input = (over: Partial<SignDeliveryInput> = {}): SignDeliveryInput => ({
  body: BODY, eventId: EVENT.id, eventType: EVENT.type, tenantId: EVENT.tenant_id, secrets: [NEW], ...over,
})

// A receiver written like the source guide: re-stringify the parsed body, hex HMAC, compare.
function guideReceiverAccepts(rawBody: string, header: string, secret: string): boolean {
  const expected = createHmac('sha256', secret).update(JSON.stringify(JSON.parse(rawBody))).digest('hex')
  return expected.length === header.length && timingSafeEqual(Buffer.from(expected), Buffer.from(header))
}

const libraryAccepts = (whsec: string, body: string, headers: Record<string, string>) => {
  try {
    new Webhook(whsec).verify(body, headers)
    return true
  } catch (error) {
    if (error instanceof WebhookVerificationError) return false
    throw error
  }
}

describe('Standard Webhooks test vector', () => {
  it('is reproduced byte for byte', () => {
    expect(standardSignature(keyFromWhsec(VECTOR.key), VECTOR.id, VECTOR.timestamp, VECTOR.payload)).toBe(VECTOR.signature)
    expect(new Webhook(VECTOR.key).sign(VECTOR.id, new Date(VECTOR.timestamp * 1000), VECTOR.payload)).toBe(VECTOR.signature)
  })

  it('our whsec_ form is base64 of the secret string, so the library computes what we compute', () => {
    const whsec = standardWebhooksKey(NEW)
    expect(whsec).toBe(`whsec_${Buffer.from(NEW, 'utf8').toString('base64')}`)
    expect(keyFromWhsec(whsec).toString('utf8')).toBe(NEW)
    const ours = standardSignature(Buffer.from(NEW, 'utf8'), VECTOR.id, VECTOR.timestamp, VECTOR.payload)
    expect(new Webhook(whsec).sign(VECTOR.id, new Date(VECTOR.timestamp * 1000), VECTOR.payload)).toBe(ours)
  })
})

describe('newWebhookSecret', () => {
  it('draws 32 random bytes shown as 64 hex characters', () => {
    const secrets = new Set(Array.from({ length: 200 }, newWebhookSecret))
    expect(secrets.size).toBe(200)
    for (const secret of secrets) expect(isWebhookSecret(secret)).toBe(true)
    expect(isWebhookSecret(NEW.toUpperCase())).toBe(false)
    expect(isWebhookSecret(NEW.slice(1))).toBe(false)
  })
})

describe('signDelivery', () => {
  it('writes exactly the delivery headers', () => {
    const headers = signDelivery(input({ timestamp: 1_700_000_000 }))
    expect(Object.keys(headers).sort()).toEqual([
      'content-type', 'user-agent', 'webhook-id', 'webhook-signature', 'webhook-timestamp',
      'x-tenant-id', 'x-webhook-event', 'x-webhook-id', 'x-webhook-signature',
    ])
    expect(headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'Tenantry-Webhooks/1',
      'x-webhook-event': 'member.created',
      'x-webhook-id': EVENT.id,
      'x-tenant-id': EVENT.tenant_id,
      'webhook-id': EVENT.id,
      'webhook-timestamp': '1700000000',
      'x-webhook-signature': createHmac('sha256', NEW).update(BODY).digest('hex'),
    })
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/)
  })

  it('verifies with the standardwebhooks package and with the source guide style receiver', () => {
    const headers = signDelivery(input())
    expect(libraryAccepts(standardWebhooksKey(NEW), BODY, { ...headers })).toBe(true)
    expect(new Webhook(standardWebhooksKey(NEW)).verify(BODY, { ...headers })).toEqual(JSON.parse(BODY))
    expect(guideReceiverAccepts(BODY, headers['x-webhook-signature'], NEW)).toBe(true)
    expect(verifyLegacySignature(BODY, headers['x-webhook-signature'], NEW)).toBe(true)
    expect(verifyStandardWebhook(BODY, headers, NEW)).toBe(true)
  })

  it('during rotation: one v1 entry per secret; receivers holding only the old or only the new one verify', () => {
    const headers = signDelivery(input({ secrets: [NEW, OLD] }))
    const entries = headers['webhook-signature'].split(' ')
    expect(entries).toHaveLength(2)
    for (const secret of [NEW, OLD]) {
      expect(libraryAccepts(standardWebhooksKey(secret), BODY, { ...headers })).toBe(true)
      expect(verifyStandardWebhook(BODY, headers, secret)).toBe(true)
    }
    // The legacy header has one value: the current secret's.
    expect(verifyLegacySignature(BODY, headers['x-webhook-signature'], NEW)).toBe(true)
    expect(verifyLegacySignature(BODY, headers['x-webhook-signature'], OLD)).toBe(false)
    // A receiver with an unrelated secret does not.
    expect(libraryAccepts(standardWebhooksKey(newWebhookSecret()), BODY, { ...headers })).toBe(false)
    // The same secret twice is signed once.
    expect(signDelivery(input({ secrets: [NEW, NEW] }))['webhook-signature'].split(' ')).toHaveLength(1)
  })

  it('a tampered body fails both schemes', () => {
    const headers = signDelivery(input({ secrets: [NEW, OLD] }))
    const tampered = BODY.replace('"m_1"', '"m_2"')
    expect(tampered).not.toBe(BODY)
    for (const secret of [NEW, OLD]) {
      expect(libraryAccepts(standardWebhooksKey(secret), tampered, { ...headers })).toBe(false)
      expect(verifyStandardWebhook(tampered, headers, secret)).toBe(false)
    }
    expect(guideReceiverAccepts(tampered, headers['x-webhook-signature'], NEW)).toBe(false)
    expect(verifyLegacySignature(tampered, headers['x-webhook-signature'], NEW)).toBe(false)
  })

  it('signs every attempt afresh: a new timestamp gives a new signature, an old attempt is stale', () => {
    const first = signDelivery(input({ timestamp: now() - 3600 }))
    const retry = signDelivery(input())
    expect(retry['webhook-signature']).not.toBe(first['webhook-signature'])
    expect(retry['x-webhook-signature']).toBe(first['x-webhook-signature'])
    expect(libraryAccepts(standardWebhooksKey(NEW), BODY, { ...first })).toBe(false)
    expect(verifyStandardWebhook(BODY, first, NEW)).toBe(false)
    expect(libraryAccepts(standardWebhooksKey(NEW), BODY, { ...retry })).toBe(true)
  })

  it('refuses bad secrets, timestamps and header values', () => {
    expect(() => signDelivery(input({ secrets: [] }))).toThrow(/at least one/)
    expect(() => signDelivery(input({ secrets: ['not-hex'] }))).toThrow(/64 lowercase hex/)
    expect(() => signDelivery(input({ timestamp: 1.5 }))).toThrow(/timestamp/)
    expect(() => signDelivery(input({ eventType: 'a\r\nx-injected: 1' }))).toThrow(/eventType/)
    expect(() => signDelivery(input({ tenantId: '' }))).toThrow(/tenantId/)
  })
})

describe('verifyStandardWebhook', () => {
  it('rejects malformed timestamps and signature entries', () => {
    const headers = signDelivery(input())
    expect(verifyStandardWebhook(BODY, { ...headers, 'webhook-timestamp': `${headers['webhook-timestamp']}.0` }, NEW)).toBe(false)
    expect(verifyStandardWebhook(BODY, { ...headers, 'webhook-timestamp': 'soon' }, NEW)).toBe(false)
    expect(verifyStandardWebhook(BODY, { ...headers, 'webhook-signature': 'v1,' }, NEW)).toBe(false)
    expect(verifyStandardWebhook(BODY, { ...headers, 'webhook-id': 'evt_other' }, NEW)).toBe(false)
  })
})
