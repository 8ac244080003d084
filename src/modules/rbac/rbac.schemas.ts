import { Type } from 'typebox'
import { PageQuery, pageOf } from '../../http/pagination.ts'
import { allPermissions } from './permission-catalog.ts'

export const PermissionResponse = Type.Object({
  name: Type.String({ description: '<resource>:<action>' }),
  resource: Type.String(),
  action: Type.String(),
  description: Type.String(),
})

export const PermissionList = Type.Object({ data: Type.Array(PermissionResponse, { description: 'the closed catalog of 24: never paginated' }) })

export const RoleResponse = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  description: Type.String(),
  is_system: Type.Boolean({ description: 'system roles are global and read-only' }),
  permissions: Type.Array(Type.String()),
  member_count: Type.Integer({ description: "members of this tenant holding the role" }),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
})

export const RolePage = pageOf(RoleResponse)
export const ListRolesQuery = Type.Object(PageQuery, { additionalProperties: false })
export const RoleParams = Type.Object({ id: Type.String({ format: 'uuid' }) })

// Any string here: an unknown permission is refused by the service with a 400 that names it.
const Permissions = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
  maxItems: 100,
  description: `permissions from the catalog: ${allPermissions.join(', ')}`,
})
const RoleName = Type.String({
  minLength: 1,
  maxLength: 100,
  description: 'unique in the tenant by how it reads (case, compatibility forms and lookalike letters of other scripts folded), never reading as a system role; no invisible, control or format characters',
})
const RoleDescription = Type.String({ maxLength: 500 })

export const CreateRoleBody = Type.Object(
  { name: RoleName, description: Type.Optional(RoleDescription), permissions: Permissions },
  { additionalProperties: false },
)

export const UpdateRoleBody = Type.Object(
  { name: Type.Optional(RoleName), description: Type.Optional(RoleDescription), permissions: Type.Optional(Permissions) },
  { additionalProperties: false, minProperties: 1 },
)

export const DecisionResponse = Type.Object({
  id: Type.String({ format: 'uuid' }),
  user_id: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
  api_key_id: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
  permission: Type.String(),
  resource: Type.String(),
  action: Type.String(),
  result: Type.Union([Type.Literal('allowed'), Type.Literal('denied')]),
  route: Type.String({ description: 'the route template, e.g. /api/v1/roles/:id' }),
  method: Type.String(),
  request_id: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
})

export const DecisionPage = pageOf(DecisionResponse)

export const ListDecisionsQuery = Type.Object(
  {
    ...PageQuery,
    result: Type.Optional(Type.Union([Type.Literal('allowed'), Type.Literal('denied')])),
    permission: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    user_id: Type.Optional(Type.String({ format: 'uuid' })),
    api_key_id: Type.Optional(Type.String({ format: 'uuid' })),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'inclusive' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'exclusive' })),
  },
  { additionalProperties: false },
)
