import { Type } from 'typebox'
import { PageQuery, pageOf } from '../../http/pagination.ts'

const ActorType = Type.Union([Type.Literal('user'), Type.Literal('api_key'), Type.Literal('platform'), Type.Literal('system')])
const Nullable = (description: string) => Type.Union([Type.String(), Type.Null()], { description })
const Hash = (description: string) => Type.String({ pattern: '^[0-9a-f]{64}$', description })

export const AuditEntryResponse = Type.Object({
  seq: Type.Integer({ minimum: 1, description: "position in the tenant's chain" }),
  id: Type.String({ format: 'uuid' }),
  actor_type: ActorType,
  actor_id: Nullable('user id, API key id or platform admin id; null for SUPER_ADMIN_KEY and the system'),
  action: Type.String({ description: '<resource>.<verb>, e.g. inventory.item.created' }),
  resource_type: Type.String(),
  resource_id: Nullable('the resource changed, when it has an id'),
  request_id: Nullable('the x-request-id of the request that made the change'),
  ip: Nullable("the caller's address"),
  user_agent: Nullable("the caller's user agent"),
  changes: Type.Record(Type.String(), Type.Unknown(), { description: 'diff or metadata; secrets redacted' }),
  created_at: Type.String({ format: 'date-time' }),
  prev_hash: Hash('SHA-256 of the previous entry (hex)'),
  hash: Hash('SHA-256 over prev_hash and this entry (hex)'),
})

const filters = {
  actor_type: Type.Optional(ActorType),
  actor_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'exact, or a prefix ending in `.` or `.*` (inventory. matches inventory.item.created)' })),
  resource_type: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  resource_id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'created at or after (inclusive)' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'created before (exclusive)' })),
}

export const ListAuditQuery = Type.Object({ ...PageQuery, ...filters }, { additionalProperties: false })
export const ExportAuditQuery = Type.Object(filters, { additionalProperties: false })
export const AuditPage = pageOf(AuditEntryResponse)

export const VerifyResponse = Type.Object({
  ok: Type.Boolean(),
  checked: Type.Integer({ description: 'entries whose hash and link were checked' }),
  first_bad_seq: Type.Optional(Type.Integer({ description: 'the first altered, missing or misplaced entry' })),
  reason: Type.Optional(Type.String()),
  anchor_seq: Type.Integer({ description: 'the last purged entry (0: nothing purged)' }),
  head_seq: Type.Integer({ description: 'the last entry according to the chain head' }),
})
