import { Type } from 'typebox'
import { PageQuery, pageOf } from '../../http/pagination.ts'
import { HEADER_NAME_PATTERN, HEADER_VALUE_PATTERN, MAX_ENDPOINT_HEADER_BYTES, MAX_ENDPOINT_HEADERS, MAX_HEADER_VALUE_LENGTH } from './endpoint-headers.ts'
import { MAX_WEBHOOK_TIMEOUT_MS } from './webhook-timeout.ts'

const Timestamp = Type.String({ format: 'date-time' })
const NullableTimestamp = Type.Union([Timestamp, Type.Null()])

// The schema says what the API documents; endpointHeadersProblem (the service) names the header.
const Headers = Type.Record(Type.String({ pattern: HEADER_NAME_PATTERN }), Type.String({ maxLength: MAX_HEADER_VALUE_LENGTH, pattern: HEADER_VALUE_PATTERN }), {
  maxProperties: MAX_ENDPOINT_HEADERS,
  // A name outside the pattern is refused, not let through unchecked (patternProperties alone would).
  additionalProperties: false,
  description: `extra request headers sent with every delivery: visible ASCII values, at most ${MAX_ENDPOINT_HEADER_BYTES} bytes in all; not hop-by-hop headers (Connection, Keep-Alive, Expect, Upgrade, TE, Transfer-Encoding…), Content-Type, Content-Length, User-Agent, Host, or the webhook-*/x-webhook-*/x-tenant-* signing headers`,
})
const Events = Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
  minItems: 1, maxItems: 50, uniqueItems: true, description: "event types from GET /api/v1/webhook-events, or '*' for all",
})
const Status = Type.Union([Type.Literal('active'), Type.Literal('disabled')])

export const WebhookResponse = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  headers: Type.Record(Type.String(), Type.String()),
  retry_count: Type.Integer(),
  timeout_ms: Type.Integer(),
  status: Status,
  last_success_at: NullableTimestamp,
  last_failure_at: NullableTimestamp,
  failure_count: Type.Integer(),
  previous_secret_expires_at: Type.Union([Timestamp, Type.Null()], { description: 'after a rotation, until when the previous secret also signs' }),
  created_at: Timestamp,
  updated_at: Timestamp,
})

export const WebhookWithSecretResponse = Type.Object({
  ...WebhookResponse.properties,
  secret: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'the signing secret: shown once, never again' }),
})

export const WebhookPage = pageOf(WebhookResponse)
export const ListWebhooksQuery = Type.Object(PageQuery, { additionalProperties: false })
export const WebhookParams = Type.Object({ id: Type.String({ format: 'uuid' }) })

export const CreateWebhookBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    url: Type.String({ minLength: 1, maxLength: 2048 }),
    events: Events,
    headers: Type.Optional(Headers),
    retry_count: Type.Optional(Type.Integer({ minimum: 0, maximum: 100, description: 'retries after the first attempt; default WEBHOOK_MAX_RETRIES' })),
    timeout_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: MAX_WEBHOOK_TIMEOUT_MS, description: 'per attempt; default WEBHOOK_TIMEOUT_MS' })),
  },
  { additionalProperties: false },
)

export const UpdateWebhookBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    events: Type.Optional(Events),
    headers: Type.Optional(Headers),
    retry_count: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    timeout_ms: Type.Optional(Type.Integer({ minimum: 100, maximum: MAX_WEBHOOK_TIMEOUT_MS })),
    status: Type.Optional(Status),
  },
  { additionalProperties: false, minProperties: 1 },
)

export const RotatedSecretResponse = Type.Object({
  secret: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'the new signing secret: shown once' }),
  previous_secret_expires_at: Timestamp,
})

export const DeliveryStatus = Type.Union([Type.Literal('pending'), Type.Literal('delivering'), Type.Literal('delivered'), Type.Literal('failed'), Type.Literal('dlq')])

const Attempt = Type.Object({
  attempt: Type.Integer({ description: '1 for the first attempt; counts on across replays' }),
  started_at: Timestamp,
  duration_ms: Type.Integer(),
  outcome: Type.Union([Type.Literal('delivered'), Type.Literal('failed'), Type.Literal('dlq'), Type.Literal('gone')], { description: 'failed: retried later; dlq: no retry left; gone: 410, endpoint disabled' }),
  status_code: Type.Union([Type.Integer(), Type.Null()], { description: 'null when no answer came (refused, timeout)' }),
  error: Type.Union([Type.String(), Type.Null()]),
  response_body: Type.Union([Type.String(), Type.Null()], { description: 'the first 1 KiB of the answer' }),
})

export const DeliveryResponse = Type.Object({
  id: Type.String({ format: 'uuid' }),
  endpoint_id: Type.String({ format: 'uuid' }),
  event_id: Type.String({ format: 'uuid' }),
  event_type: Type.String(),
  status: DeliveryStatus,
  attempts: Type.Integer(),
  next_attempt_at: Timestamp,
  last_status_code: Type.Union([Type.Integer(), Type.Null()]),
  last_error: Type.Union([Type.String(), Type.Null()]),
  body: Type.String({ description: 'the exact request body every attempt sends' }),
  created_at: Timestamp,
  delivered_at: NullableTimestamp,
  attempt_log: Type.Array(Attempt, { description: 'every attempt, oldest first' }),
})
export const DeliveryPage = pageOf(DeliveryResponse)
export const DeliveryParams = Type.Object({ id: Type.String({ format: 'uuid' }), deliveryId: Type.String({ format: 'uuid' }) })

export const TestEventResponse = Type.Object({ delivery_id: Type.String({ format: 'uuid' }), event_id: Type.String({ format: 'uuid' }) })
export const RetryResponse = Type.Object({ delivery_id: Type.String({ format: 'uuid' }) })

const ReplayableStatus = Type.Union([Type.Literal('pending'), Type.Literal('failed'), Type.Literal('delivered'), Type.Literal('dlq')])
export const ReplayBody = Type.Object(
  {
    since: Type.Optional(Type.String({ format: 'date-time', description: 'deliveries created at or after this time' })),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'deliveries created before this time' })),
    status: Type.Optional(Type.Array(ReplayableStatus, { minItems: 1, uniqueItems: true, description: 'which deliveries to replay; default ["dlq"]' })),
  },
  { additionalProperties: false },
)
export const ReplayResponse = Type.Object({ replayed: Type.Integer({ description: 'deliveries queued again' }) })
export const ListDeliveriesQuery = Type.Object(
  {
    ...PageQuery,
    status: Type.Optional(Type.Array(DeliveryStatus, { minItems: 1, uniqueItems: true, description: 'only deliveries in one of these statuses: ?status=dlq, or repeated (?status=failed&status=dlq)' })),
  },
  { additionalProperties: false },
)

export const WebhookEventTypesResponse = Type.Object({
  data: Type.Array(Type.Object({
    type: Type.String(),
    description: Type.String(),
    schema: Type.Unknown({ description: 'JSON schema of the event `data`' }),
  })),
})
