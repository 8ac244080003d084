import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * Webhook signing (DESIGN §10). One secret per endpoint: 64 hex characters. "The key" is the
 * secret STRING's UTF-8 bytes, for both schemes:
 *   - legacy `X-Webhook-Signature`: hex HMAC-SHA256(key, body), current secret only;
 *   - Standard Webhooks `webhook-signature`: `v1,` + base64 HMAC-SHA256(key, `${id}.${ts}.${body}`),
 *     one entry per active secret (current first, then the previous one during its 24 h grace).
 * Receivers configure the Standard Webhooks key as `whsec_` + base64(utf8(secret)).
 */

const SECRET_PATTERN = /^[0-9a-f]{64}$/
/** Header values we write must be a single printable-ASCII token: no spaces, no CR/LF injection. */
const TOKEN_PATTERN = /^[\x21-\x7e]+$/
export const WEBHOOK_USER_AGENT = 'Tenantry-Webhooks/1'
const WHSEC_PREFIX = 'whsec_'

export interface WebhookDeliveryHeaders {
  'content-type': 'application/json'
  'user-agent': string
  'x-webhook-signature': string
  'x-webhook-event': string
  'x-webhook-id': string
  'x-tenant-id': string
  'webhook-id': string
  'webhook-timestamp': string
  'webhook-signature': string
}

export interface SignDeliveryInput {
  body: string
  eventId: string
  eventType: string
  tenantId: string
  /** Active secrets, current first, then the previous one while its 24 h grace lasts. */
  secrets: readonly string[]
  /** Unix seconds of THIS attempt; every attempt is signed afresh. Defaults to now. */
  timestamp?: number
}

/** 32 random bytes shown as 64 lowercase hex characters. */
export function newWebhookSecret(): string {
  return randomBytes(32).toString('hex')
}

export function isWebhookSecret(value: string): boolean {
  return SECRET_PATTERN.test(value)
}

/** The secret in Standard Webhooks form, for receivers using a standardwebhooks library. */
export function standardWebhooksKey(secret: string): string {
  return WHSEC_PREFIX + Buffer.from(secret, 'utf8').toString('base64')
}

/** Hex HMAC-SHA256 of the body, keyed with the secret string (the legacy header). */
export function legacySignature(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('hex')
}

/** One Standard Webhooks signature entry, `v1,<base64>`, from raw key bytes. */
export function standardSignature(key: Uint8Array, msgId: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', key).update(`${msgId}.${timestamp}.${body}`, 'utf8').digest('base64')
  return `v1,${mac}`
}

/** Raw key bytes of a `whsec_<base64>` key (the form Standard Webhooks test vectors use). */
export function keyFromWhsec(whsec: string): Buffer {
  return Buffer.from(whsec.startsWith(WHSEC_PREFIX) ? whsec.slice(WHSEC_PREFIX.length) : whsec, 'base64')
}

/** All headers the signer owns; the dispatcher must let them win over an endpoint's custom headers. */
export function signDelivery(input: SignDeliveryInput): WebhookDeliveryHeaders {
  const secrets = activeSecrets(input.secrets)
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000)
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new TypeError('webhook timestamp must be a non-negative integer number of seconds')
  }
  for (const [name, value] of [['eventId', input.eventId], ['eventType', input.eventType], ['tenantId', input.tenantId]] as const) {
    if (!TOKEN_PATTERN.test(value)) throw new TypeError(`webhook ${name} must be printable ASCII without spaces`)
  }

  return {
    'content-type': 'application/json',
    'user-agent': WEBHOOK_USER_AGENT,
    // The legacy scheme carries one value: the current secret's.
    'x-webhook-signature': legacySignature(input.body, secrets[0]!),
    'x-webhook-event': input.eventType,
    'x-webhook-id': input.eventId,
    'x-tenant-id': input.tenantId,
    'webhook-id': input.eventId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets
      .map((secret) => standardSignature(Buffer.from(secret, 'utf8'), input.eventId, timestamp, input.body))
      .join(' '),
  }
}

function activeSecrets(secrets: readonly string[]): string[] {
  if (secrets.length === 0) throw new TypeError('a webhook delivery needs at least one active secret')
  for (const secret of secrets) {
    // CAUTION: a wrong value here (say, the encrypted column) would sign with a key nobody holds.
    if (!isWebhookSecret(secret)) throw new TypeError('webhook secrets must be 64 lowercase hex characters')
  }
  return [...new Set(secrets)]
}

/** Constant-time check of a legacy `X-Webhook-Signature` against the body we sent. */
export function verifyLegacySignature(body: string, signatureHex: string, secret: string): boolean {
  return safeEqual(legacySignature(body, secret), signatureHex)
}

/**
 * A minimal Standard Webhooks check (for tests and docs; receivers should use a library):
 * any `v1` entry matching a signature under `secret`, and a timestamp within the tolerance.
 */
export function verifyStandardWebhook(
  body: string,
  headers: Pick<WebhookDeliveryHeaders, 'webhook-id' | 'webhook-timestamp' | 'webhook-signature'>,
  secret: string,
  options: { nowSeconds?: number; toleranceSeconds?: number } = {},
): boolean {
  const stamp = headers['webhook-timestamp']
  const timestamp = /^\d{1,15}$/.test(stamp) ? Number(stamp) : Number.NaN
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000)
  if (!Number.isSafeInteger(timestamp) || Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) return false
  const expected = standardSignature(Buffer.from(secret, 'utf8'), headers['webhook-id'], timestamp, body)
  return headers['webhook-signature'].split(' ').some((entry) => safeEqual(expected, entry))
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8')
  const right = Buffer.from(b, 'utf8')
  return left.length === right.length && timingSafeEqual(left, right)
}
