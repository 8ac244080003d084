import type { PlanDefaults, PlanName } from './plan-catalog.ts'
import { planCatalog } from './plans-file.ts'
import type { TenantSettings } from './tenant-settings.schema.ts'

/** Plan defaults with the tenant's overrides laid over them, key by key. */
export function effectiveConfig(plan: PlanName, settings: TenantSettings): PlanDefaults {
  const defaults = planCatalog()[plan]
  return {
    limits: { ...defaults.limits, ...settings.limits },
    features: { ...defaults.features, ...settings.features },
    password_policy: { ...defaults.password_policy, ...settings.password_policy },
  }
}

const byTenant = new WeakMap<object, PlanDefaults>()

/**
 * The effective configuration of a cached tenant record, computed once per record: a plan or
 * settings change replaces the record (the directory is invalidated), so the next request sees it.
 */
export function configurationOf(tenant: { plan: PlanName; settings: TenantSettings }): PlanDefaults {
  let configuration = byTenant.get(tenant)
  if (!configuration) {
    configuration = effectiveConfig(tenant.plan, tenant.settings)
    byTenant.set(tenant, configuration)
  }
  return configuration
}

/** The limits of `plan` that the tenant's current usage exceeds (a downgrade refusal names them). */
export function exceededLimits(
  config: PlanDefaults,
  usage: { users: number; items: number },
): { limit: 'max_users' | 'max_items'; allowed: number; current: number }[] {
  const exceeded: { limit: 'max_users' | 'max_items'; allowed: number; current: number }[] = []
  if (config.limits.max_users !== null && usage.users > config.limits.max_users) {
    exceeded.push({ limit: 'max_users', allowed: config.limits.max_users, current: usage.users })
  }
  if (config.limits.max_items !== null && usage.items > config.limits.max_items) {
    exceeded.push({ limit: 'max_items', allowed: config.limits.max_items, current: usage.items })
  }
  return exceeded
}
