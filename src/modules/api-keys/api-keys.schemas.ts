import { Type } from 'typebox'
import { PageQuery, pageOf } from '../../http/pagination.ts'
import { allPermissions } from '../rbac/index.ts'

const Permission = Type.Union(allPermissions.map((name) => Type.Literal(name)))
const Timestamp = Type.String({ format: 'date-time' })
const NullableTimestamp = Type.Union([Timestamp, Type.Null()])

const keyFields = {
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  prefix: Type.String({ description: 'the start of the key and the 8 hex digits that name it, to recognise it by' }),
  role_id: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
  role: Type.Union([Type.String(), Type.Null()], { description: 'the role the key acts as; null when it holds its own permission list' }),
  permissions: Type.Array(Type.String()),
  expires_at: NullableTimestamp,
  created_at: Timestamp,
}

export const ApiKeyResponse = Type.Object({
  ...keyFields,
  created_by: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
  last_used_at: Type.Union([Timestamp, Type.Null()], { description: 'updated at most once a minute' }),
  revoked_at: NullableTimestamp,
})

export const CreatedApiKeyResponse = Type.Object({
  ...keyFields,
  key: Type.String({ description: 'the key itself: shown once, never again; send it as Authorization: Bearer <key>' }),
})

export const ApiKeyPage = pageOf(ApiKeyResponse)
export const ListApiKeysQuery = Type.Object(PageQuery, { additionalProperties: false })
export const ApiKeyParams = Type.Object({ id: Type.String({ format: 'uuid' }) })

export const CreateApiKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    role_id: Type.Optional(Type.String({ format: 'uuid', description: 'a system or custom role' })),
    role: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'a role by name' })),
    permissions: Type.Optional(Type.Array(Permission, { minItems: 1, maxItems: allPermissions.length, uniqueItems: true })),
    expires_at: Type.Optional(Type.String({ format: 'date-time', description: 'optional; must be in the future' })),
  },
  { additionalProperties: false, description: 'exactly one of role_id, role and permissions; the key never gets a permission its creator lacks' },
)
