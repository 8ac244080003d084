import { Type, type Static } from 'typebox'
import { PageQuery, pageOf } from '../../http/pagination.ts'
import { PlanSchema, settingsParts, TenantSettingsPatchSchema, TenantSettingsSchema } from '../plans/index.ts'

const Plan = Type.Union([Type.Literal('basic'), Type.Literal('premium'), Type.Literal('enterprise'), Type.Literal('custom')])
const Status = Type.Union([Type.Literal('provisioning'), Type.Literal('active'), Type.Literal('suspended'), Type.Literal('deleted')])
export const TenantIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) })

export const CreateTenantBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    slug: Type.Optional(Type.String({ minLength: 3, maxLength: 63 })),
    plan: Type.Optional(Plan),
    settings: Type.Optional(TenantSettingsSchema),
  },
  { additionalProperties: false },
)
export type CreateTenantInput = Static<typeof CreateTenantBody>

export const UpdateTenantBody = Type.Object(
  { name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), settings: Type.Optional(TenantSettingsPatchSchema) },
  { additionalProperties: false, minProperties: 1 },
)
export type UpdateTenantInput = Static<typeof UpdateTenantBody>

/**
 * PATCH /api/v1/tenant, a tenant's Admin on their own tenant: its name and branding only. Plan
 * limits, features, password policy, subdomain and domains are the operator's (platform PATCH).
 */
export const UpdateOwnTenantBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    settings: Type.Optional(Type.Object({ branding: Type.Union([settingsParts.branding, Type.Null()]) }, { additionalProperties: false })),
  },
  { additionalProperties: false, minProperties: 1 },
)
export type UpdateOwnTenantInput = Static<typeof UpdateOwnTenantBody>

export const MigratePlanBody = Type.Object({ targetPlan: Plan }, { additionalProperties: false })

export const ListTenantsQuery = Type.Object(
  { ...PageQuery, status: Type.Optional(Status), plan: Type.Optional(Plan), q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) },
  { additionalProperties: false },
)
export type ListTenantsFilter = Static<typeof ListTenantsQuery>

export const DeleteTenantQuery = Type.Object({ purge: Type.Optional(Type.Boolean()) }, { additionalProperties: false })

export const TenantResponse = Type.Object({
  id: Type.String({ format: 'uuid' }),
  slug: Type.String(),
  name: Type.String(),
  status: Status,
  plan: Plan,
  settings: Type.Record(Type.String(), Type.Unknown()),
  configuration: PlanSchema,
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
  deleted_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
})

export const TenantPage = pageOf(TenantResponse)

type TenantLike = { created_at: Date; updated_at: Date; deleted_at: Date | null }

/** Dates as ISO strings, as the response schema (and every JSON client) expects. */
export function presentTenant<T extends TenantLike>(tenant: T): Omit<T, keyof TenantLike> & { created_at: string; updated_at: string; deleted_at: string | null } {
  return { ...tenant, created_at: tenant.created_at.toISOString(), updated_at: tenant.updated_at.toISOString(), deleted_at: tenant.deleted_at?.toISOString() ?? null }
}
