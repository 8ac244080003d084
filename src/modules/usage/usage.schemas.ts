import { Type } from 'typebox'

const Count = Type.Number({ minimum: 0 })
const NullableCount = Type.Union([Count, Type.Null()])
const NullableNumber = Type.Union([Type.Number(), Type.Null()])
const NullableTimestamp = Type.Union([Type.String({ format: 'date-time' }), Type.Null()])
const Day = Type.String({ format: 'date', description: 'UTC day, YYYY-MM-DD' })

export const TenantIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) })

export const UsageQuery = Type.Object(
  { timeRange: Type.Optional(Type.Union([Type.Literal('7d'), Type.Literal('30d'), Type.Literal('90d')], { default: '30d', description: 'days ending today (UTC)' })) },
  { additionalProperties: false },
)

const Counters = {
  requests: Type.Number({ minimum: 0, description: 'tenant-scoped requests admitted (authenticated and authorised)' }),
  errors: Type.Number({ minimum: 0, description: 'of those, answered with status >= 500' }),
  client_errors: Type.Number({ minimum: 0, description: 'of those, answered with status 400–499' }),
  webhook_deliveries: Type.Number({ minimum: 0, description: 'webhook delivery attempts' }),
}

const LimitUse = Type.Object({
  limit: NullableCount,
  used: NullableCount,
  remaining: NullableCount,
  percent: Type.Union([Type.Number(), Type.Null()], { description: 'used / limit × 100; null when unlimited' }),
})

export const UsageReportResponse = Type.Object({
  tenant_id: Type.String({ format: 'uuid' }),
  plan: Type.Union([Type.Literal('basic'), Type.Literal('premium'), Type.Literal('enterprise'), Type.Literal('custom')]),
  time_range: Type.String(),
  from: Day,
  to: Day,
  series: Type.Array(
    Type.Object({
      day: Day,
      ...Counters,
      items: Type.Union([Count, Type.Null()], { description: "the day's snapshot; null without one" }),
      users: NullableCount,
      storage_bytes: NullableCount,
    }),
    { description: 'one entry per day of the range, oldest first; days without traffic count zero' },
  ),
  totals: Type.Object(Counters),
  current: Type.Object({ users: Count, items: Count, storage_bytes: NullableCount, storage_measured_at: NullableTimestamp }),
  limits: Type.Object({ api_requests_per_day: LimitUse, max_users: LimitUse, max_items: LimitUse, storage_bytes: LimitUse }),
  includes_unflushed: Type.Boolean({ description: "today's counts include the answering instance's not-yet-written ones" }),
})

const Status = Type.Union([Type.Literal('healthy'), Type.Literal('degraded'), Type.Literal('unhealthy')])
const Check = Type.Object({ status: Type.String({ description: 'healthy | degraded | unhealthy | unknown | not_configured' }) }, { additionalProperties: true })

export const TenantHealthResponse = Type.Object({
  tenant_id: Type.String({ format: 'uuid' }),
  tenant_status: Type.String(),
  status: Status,
  reasons: Type.Array(Type.String()),
  checks: Type.Object({ database: Check, redis: Check, storage: Check, api: Check }),
  metrics: Type.Object({
    responseTime: Type.Object({ p95: NullableNumber, samples: Type.Integer(), window_s: Type.Integer() }, { description: "p95 in ms of the tenant's recent requests on this instance" }),
    errorRate: Type.Union([Type.Number(), Type.Null()], { description: "today's server errors / requests (all instances' flushed counts and this one's pending)" }),
    uptime: Type.Integer({ description: 'seconds this instance has been up' }),
  }),
  lastChecked: Type.String({ format: 'date-time' }),
})
