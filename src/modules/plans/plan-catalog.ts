// Plans and their default configuration (DESIGN §11). The catalogue is the operator's: a plans
// file (PLANS_FILE, else default-plans.json beside this file) read and validated once at start
// (plans-file.ts) and installed here for the process. A tenant's effective configuration is its
// plan's defaults with the tenant's own settings laid over them (effective-config.ts); changing
// plan keeps the overrides. `null` means unlimited.

// tenants.plan is checked against these four by the database: a plans file defines exactly them.
export const PLAN_NAMES = ['basic', 'premium', 'enterprise', 'custom'] as const
export type PlanName = (typeof PLAN_NAMES)[number]

/**
 * Every feature flag and what it does. `gates` flags refuse (403 feature_not_enabled) what they
 * name; `informational` ones gate nothing in Tenantry — a product module reads them from the
 * tenant's effective configuration (GET /api/v1/tenant → configuration.features).
 */
export const FEATURES = {
  webhooks: { kind: 'gates', what: 'creating webhook endpoints (POST /api/v1/webhooks)' },
  sso: { kind: 'informational', what: 'single sign-on; Tenantry has no SSO yet' },
  reports: { kind: 'gates', what: 'GET /api/v1/reports/inventory-summary' },
  advanced_analytics: { kind: 'gates', what: 'demand forecasts (GET /api/v1/forecasts/:itemId, POST /api/v1/forecasts/recompute)' },
  custom_branding: { kind: 'gates', what: "a tenant admin's branding change (PATCH /api/v1/tenant settings.branding)" },
  biometric_auth: { kind: 'informational', what: 'biometric sign-in, for a product module to honour' },
  ai_verification: { kind: 'informational', what: 'AI verification, for a product module to honour' },
  priority_support: { kind: 'informational', what: "the operator's support tier" },
  api_keys: { kind: 'gates', what: 'creating API keys (POST /api/v1/api-keys)' },
  audit_export: { kind: 'gates', what: 'GET /api/v1/audit-logs/export' },
} as const satisfies Record<string, { kind: 'gates' | 'informational'; what: string }>

export type FeatureName = keyof typeof FEATURES
export const FEATURE_NAMES = Object.keys(FEATURES) as FeatureName[]

export interface PasswordPolicy {
  min_length: number
  require_uppercase: boolean
  require_lowercase: boolean
  require_digit: boolean
  require_symbol: boolean
}

export interface PlanLimits {
  max_users: number | null
  max_items: number | null
  api_requests_per_day: number | null
  rate_limit_per_minute: number | null
  /** Against the usage estimate of the tenant's stored rows (usage_daily.storage_bytes). */
  max_storage_bytes: number | null
  /** Bounds every token issued for the tenant, and tokens already issued (checked per request). */
  session_timeout_minutes: number
}

export interface PlanDefaults {
  limits: PlanLimits
  features: Record<FeatureName, boolean>
  password_policy: PasswordPolicy
}

export type PlanCatalog = Readonly<Record<PlanName, PlanDefaults>>
