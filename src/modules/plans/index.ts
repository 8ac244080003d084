export { PLAN_NAMES, FEATURE_NAMES, planCatalog, type PlanName, type FeatureName, type PlanDefaults, type PasswordPolicy, type PlanLimits } from './plan-catalog.ts'
export { effectiveConfig, exceededLimits } from './effective-config.ts'
export { assertFeature, quotaExceeded } from './enforcement.ts'
export { settingsParts, TenantSettingsSchema, TenantSettingsPatchSchema, type TenantSettings, type TenantSettingsPatch } from './tenant-settings.schema.ts'
