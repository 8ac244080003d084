import { AppError } from '../../../errors/index.ts'

/** DESIGN §10: a delivery body is at most 256 KiB, counted in UTF-8 bytes (what goes on the wire). */
export const MAX_EVENT_BODY_BYTES = 256 * 1024

export interface WebhookEvent {
  id: string
  type: string
  tenant_id: string
  /** ISO 8601; a Date is written with toISOString(), as JSON.stringify would. */
  created_at: string | Date
  data: unknown
}

/**
 * The exact bytes every attempt of a delivery sends:
 * `JSON.stringify({id, type, tenant_id, created_at, data})`, keys in that order.
 *
 * The receiver-side guarantee: `JSON.stringify(JSON.parse(body)) === body` in JavaScript, so a
 * receiver that verifies the legacy `X-Webhook-Signature` over its re-stringified parsed body (as
 * the source guide's verify code does) gets the bytes we signed. JSON.stringify's output is a fixed
 * point of parse → stringify (numbers print as their shortest round-trip form, lone surrogates are
 * escaped, an object's key order is the one parse rebuilds), so the property holds for every body
 * this function returns. What it does NOT protect, and why `data` is normalised first:
 *   - values JSON cannot carry change on the way: undefined/functions are dropped, -0 becomes 0,
 *     NaN/Infinity become null, Dates become strings, Map/Set become {}; BigInt and cycles throw.
 *     Normalising (stringify → parse) up front makes `data` here equal what the receiver gets.
 *   - integers beyond 2^53 already lost precision before they reached us if they were JS numbers;
 *     send them as strings.
 *   - duplicate keys and jsonb key order: JSON text with duplicate keys, or read back from a jsonb
 *     column (keys deduplicated, reordered by length), is a different document than the one written.
 *     Pass parsed values, and store the built body as text so retries re-sign the same bytes.
 *   - receivers in other languages that re-serialise (Python's json.dumps adds spaces and escapes
 *     non-ASCII) will not match the legacy signature; the Standard Webhooks signature, computed
 *     over the raw bytes, is the one to recommend.
 */
export function buildEventBody(event: WebhookEvent): string {
  for (const key of ['id', 'type', 'tenant_id'] as const) {
    if (typeof event[key] !== 'string' || event[key] === '') {
      throw new TypeError(`webhook event ${key} must be a non-empty string`)
    }
  }
  const createdAt = event.created_at instanceof Date ? event.created_at.toISOString() : event.created_at
  if (typeof createdAt !== 'string' || createdAt === '') {
    throw new TypeError('webhook event created_at must be an ISO 8601 string or a Date')
  }

  const body = JSON.stringify({
    id: event.id,
    type: event.type,
    tenant_id: event.tenant_id,
    created_at: createdAt,
    data: normaliseData(event.data),
  })

  const bytes = Buffer.byteLength(body, 'utf8')
  if (bytes > MAX_EVENT_BODY_BYTES) {
    throw new AppError('payload_too_large', `webhook event body is ${bytes} bytes; the limit is ${MAX_EVENT_BODY_BYTES}`, {
      reason: 'webhook_body_too_large',
      eventType: event.type,
      bytes,
      limit: MAX_EVENT_BODY_BYTES,
    })
  }
  return body
}

/** JSON round trip: what the receiver will parse is what we keep. `undefined` data is sent as null. */
function normaliseData(data: unknown): unknown {
  const text = JSON.stringify(data)
  return text === undefined ? null : (JSON.parse(text) as unknown)
}
