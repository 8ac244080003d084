import { Type } from 'typebox'
import { PageQuery, pageOf } from '../../http/pagination.ts'

/** The same rule as the tenant_configurations check constraint: refused at the edge with a 400. */
export const CONFIG_KEY_PATTERN = '^[a-z0-9][a-z0-9_.-]{0,127}$'

export const ConfigKeyParams = Type.Object({
  key: Type.String({ pattern: CONFIG_KEY_PATTERN, description: 'lower-case letters, digits, _ . -; at most 128 characters' }),
})

export const ConfigEntryResponse = Type.Object({
  key: Type.String(),
  value: Type.Unknown({ description: 'any JSON; null while masked' }),
  is_encrypted: Type.Boolean(),
  masked: Type.Optional(Type.Literal(true, { description: 'present on encrypted entries read without ?reveal=true' })),
  updated_at: Type.String({ format: 'date-time' }),
})

export const ConfigPage = pageOf(ConfigEntryResponse)
export const ListConfigQuery = Type.Object(PageQuery, { additionalProperties: false })

export const GetConfigQuery = Type.Object(
  { reveal: Type.Optional(Type.Boolean({ default: false, description: 'decrypt an encrypted value; needs settings:write' })) },
  { additionalProperties: false },
)

const writeFields = {
  value: Type.Unknown({ description: 'any JSON, at most 64 KiB serialized' }),
  is_encrypted: Type.Optional(Type.Boolean({ description: 'store AES-256-GCM encrypted (needs MASTER_KEY); omitted: an existing entry keeps its mode' })),
}

export const PutConfigBody = Type.Object(
  {
    ...writeFields,
    encrypted: Type.Optional(Type.Boolean({ deprecated: true, description: 'deprecated alias of is_encrypted' })),
  },
  { additionalProperties: false, required: ['value'] },
)

/** The operator's write (POST /api/v1/tenants/:id/config), seed 004's shape: the key in the body. */
export const OperatorConfigBody = Type.Object(
  { key: ConfigKeyParams.properties.key, ...writeFields },
  { additionalProperties: false, required: ['key', 'value'] },
)

export const TenantConfigParams = Type.Object({ id: Type.String({ format: 'uuid' }) })
