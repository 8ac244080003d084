import { AppError } from '../../errors/index.ts'
import { quotaExceededTotal } from '../../observability/metrics.ts'
import { configurationOf } from './effective-config.ts'
import type { FeatureName, PlanName } from './plan-catalog.ts'
import type { TenantSettings } from './tenant-settings.schema.ts'

/**
 * The 403 quota_exceeded of a count limit (max_users, max_items) or of storage, counted in
 * quota_exceeded_total{limit}. The daily request quota is refused by the rate-limits module (429).
 */
export function quotaExceeded(limit: 'max_users' | 'max_items' | 'max_storage_bytes', allowed: number, message: string): AppError {
  quotaExceededTotal.inc({ limit })
  return new AppError('quota_exceeded', message, { limit, allowed })
}

/** 403 feature_not_enabled unless the tenant's plan (or its settings override) includes `feature`. */
export function assertFeature(tenant: { plan: PlanName; settings: TenantSettings } | undefined, feature: FeatureName, what: string): void {
  if (tenant && configurationOf(tenant).features[feature]) return
  throw new AppError('feature_not_enabled', `${what} ${what.endsWith('s') ? 'are' : 'is'} not part of this tenant's plan`, { feature })
}
