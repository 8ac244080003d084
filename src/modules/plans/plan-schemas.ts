import { Type } from 'typebox'
import { FEATURES, FEATURE_NAMES, PLAN_NAMES } from './plan-catalog.ts'

// `type: [integer, null]`, not anyOf: with the server's coerceTypes, Ajv would coerce null to 0
// in the integer branch of an anyOf, so "unlimited" (null) would be stored as "none" (0).
const nullableCount = (max: number, description: string) => Type.Unsafe<number | null>({ type: ['integer', 'null'], minimum: 0, maximum: max, description })

/** One schema per limit: the plans file requires each, a tenant's settings may override each. */
export const limitSchemas = {
  max_users: nullableCount(10_000_000, 'members (invitations hold a seat); null = unlimited'),
  max_items: nullableCount(100_000_000, 'inventory items; null = unlimited'),
  api_requests_per_day: nullableCount(1_000_000_000, 'requests of the tenant\'s callers per UTC day; null = unlimited'),
  rate_limit_per_minute: nullableCount(10_000_000, 'requests of the tenant per minute; null = unlimited'),
  max_storage_bytes: nullableCount(Number.MAX_SAFE_INTEGER, 'stored bytes, against the hourly usage estimate: over it, writes are refused; null = unlimited'),
  session_timeout_minutes: Type.Integer({ minimum: 5, maximum: 43_200, description: 'longest session of a token for this tenant (and never past JWT_EXPIRY)' }),
}

export const passwordPolicySchemas = {
  min_length: Type.Integer({ minimum: 8, maximum: 128 }),
  require_uppercase: Type.Boolean(),
  require_lowercase: Type.Boolean(),
  require_digit: Type.Boolean(),
  require_symbol: Type.Boolean(),
}

/** A feature flag, with what it guards (or that it is informational) as its description. */
export const featureSchema = (name: keyof typeof FEATURES) =>
  Type.Boolean({ description: FEATURES[name].kind === 'gates' ? `guards ${FEATURES[name].what}` : `informational (gates nothing in Tenantry): ${FEATURES[name].what}` })

const closed = { additionalProperties: false } as const

/** One plan in the plans file: every limit, every feature and the whole password policy. */
export const PlanSchema = Type.Object(
  {
    limits: Type.Object(limitSchemas, closed),
    features: Type.Object(Object.fromEntries(FEATURE_NAMES.map((name) => [name, featureSchema(name)])), closed),
    password_policy: Type.Object(passwordPolicySchemas, closed),
  },
  closed,
)

/** The plans file (PLANS_FILE): exactly the four plans. */
export const PlansFileSchema = Type.Object(
  {
    $comment: Type.Optional(Type.String()),
    plans: Type.Object(Object.fromEntries(PLAN_NAMES.map((name) => [name, PlanSchema])), closed),
  },
  closed,
)
