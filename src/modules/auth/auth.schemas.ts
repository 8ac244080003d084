import { Type } from 'typebox'

const Email = Type.String({ format: 'email', maxLength: 254 })
// The byte limit (256) is checked in code: JSON schema counts characters, not bytes.
const Password = Type.String({ minLength: 1, maxLength: 256 })

export const LoginBody = Type.Object(
  { email: Email, password: Password, tenant: Type.Optional(Type.String({ minLength: 1, maxLength: 63, description: 'tenant id or slug' })) },
  { additionalProperties: false },
)

export const RegisterOrganizationBody = Type.Object(
  {
    organization_name: Type.String({ minLength: 1, maxLength: 200 }),
    slug: Type.Optional(Type.String({ minLength: 3, maxLength: 63 })),
    admin_email: Email,
    admin_password: Password,
    admin_name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
)

export const AcceptInviteBody = Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }), password: Password }, { additionalProperties: false })

export const SessionResponse = Type.Object({
  token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_at: Type.String({ format: 'date-time' }),
  user: Type.Object({ id: Type.String(), email: Type.String(), name: Type.Union([Type.String(), Type.Null()]), is_platform_admin: Type.Boolean() }),
  tenant: Type.Union([Type.Object({ id: Type.String(), slug: Type.String(), name: Type.String() }), Type.Null()]),
  role: Type.Union([Type.String(), Type.Null()]),
  permissions: Type.Array(Type.String()),
})

export const MeResponse = Type.Object({
  kind: Type.Union([Type.Literal('user'), Type.Literal('api_key'), Type.Literal('super_admin')], { description: 'What the credential is: a user token, a tenant API key, or SUPER_ADMIN_KEY' }),
  user: Type.Union([Type.Object({ id: Type.String(), email: Type.String(), is_platform_admin: Type.Boolean() }), Type.Null()], { description: 'The user of a token; null for an API key or SUPER_ADMIN_KEY' }),
  api_key: Type.Union([Type.Object({ id: Type.String(), tenant_id: Type.String() }), Type.Null()], { description: 'The key and the tenant it is bound to; null for anything else' }),
  token_tenant_id: Type.Union([Type.String(), Type.Null()], { description: "The tenant the credential binds: a token's tid claim, an API key's tenant; null when it binds none" }),
})
