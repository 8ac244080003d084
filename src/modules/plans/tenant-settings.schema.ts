import { Type, type Static, type TOptional, type TSchema } from 'typebox'
import { FEATURE_NAMES } from './plan-catalog.ts'
import { featureSchema, limitSchemas, passwordPolicySchemas } from './plan-schemas.ts'

const DNS_LABEL = '^[a-z0-9]([a-z0-9-]{1,61})[a-z0-9]$'
const HOSTNAME = '^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$'
const optional = <T extends Record<string, TSchema>>(schemas: T) =>
  Object.fromEntries(Object.entries(schemas).map(([key, schema]) => [key, Type.Optional(schema)])) as { [K in keyof T]: TOptional<T[K]> }

/** The settings a tenant may override, one schema per key. Unknown keys are refused at every level. */
export const settingsParts = {
  subdomain: Type.String({ pattern: DNS_LABEL, description: 'the label under BASE_DOMAIN that routes to the tenant (then its slug no longer does); unique across tenants, slugs included' }),
  domains: Type.Array(Type.String({ pattern: HOSTNAME, maxLength: 253 }), { maxItems: 20, uniqueItems: true }),
  features: Type.Object(Object.fromEntries(FEATURE_NAMES.map((name) => [name, Type.Optional(featureSchema(name))])), { additionalProperties: false }),
  limits: Type.Object(optional(limitSchemas), { additionalProperties: false }),
  password_policy: Type.Object(optional(passwordPolicySchemas), { additionalProperties: false }),
  branding: Type.Object(
    {
      display_name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
      logo_url: Type.Optional(Type.String({ pattern: '^https://', maxLength: 2048 })),
      primary_color: Type.Optional(Type.String({ pattern: '^#[0-9a-fA-F]{6}$' })),
    },
    { additionalProperties: false },
  ),
}

export const TenantSettingsSchema = Type.Object(
  {
    subdomain: Type.Optional(settingsParts.subdomain),
    domains: Type.Optional(settingsParts.domains),
    features: Type.Optional(settingsParts.features),
    limits: Type.Optional(settingsParts.limits),
    password_policy: Type.Optional(settingsParts.password_policy),
    branding: Type.Optional(settingsParts.branding),
  },
  { additionalProperties: false },
)

export type TenantSettings = Static<typeof TenantSettingsSchema>

/** PATCH form: a key given replaces that key; null removes it (back to the plan default). */
export const TenantSettingsPatchSchema = Type.Object(
  {
    subdomain: Type.Optional(Type.Union([settingsParts.subdomain, Type.Null()])),
    domains: Type.Optional(Type.Union([settingsParts.domains, Type.Null()])),
    features: Type.Optional(Type.Union([settingsParts.features, Type.Null()])),
    limits: Type.Optional(Type.Union([settingsParts.limits, Type.Null()])),
    password_policy: Type.Optional(Type.Union([settingsParts.password_policy, Type.Null()])),
    branding: Type.Optional(Type.Union([settingsParts.branding, Type.Null()])),
  },
  { additionalProperties: false },
)

export type TenantSettingsPatch = Static<typeof TenantSettingsPatchSchema>
