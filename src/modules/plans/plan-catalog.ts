// Plans and their default configuration (DESIGN §11). A tenant's effective configuration is its
// plan's defaults with the tenant's own settings laid over them (effective-config.ts); changing
// plan keeps the overrides. `null` means unlimited.

export const PLAN_NAMES = ['basic', 'premium', 'enterprise', 'custom'] as const
export type PlanName = (typeof PLAN_NAMES)[number]

export const FEATURE_NAMES = ['webhooks', 'sso', 'reports', 'advanced_analytics', 'custom_branding', 'api_keys', 'audit_export'] as const
export type FeatureName = (typeof FEATURE_NAMES)[number]

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
  session_timeout_minutes: number
}

export interface PlanDefaults {
  limits: PlanLimits
  features: Record<FeatureName, boolean>
  password_policy: PasswordPolicy
}

const features = (enabled: FeatureName[]): Record<FeatureName, boolean> =>
  Object.fromEntries(FEATURE_NAMES.map((name) => [name, enabled.includes(name)])) as Record<FeatureName, boolean>

const STANDARD_PASSWORDS: PasswordPolicy = { min_length: 10, require_uppercase: false, require_lowercase: false, require_digit: false, require_symbol: false }
const STRICT_PASSWORDS: PasswordPolicy = { min_length: 12, require_uppercase: true, require_lowercase: true, require_digit: true, require_symbol: false }

export const planCatalog: Record<PlanName, PlanDefaults> = {
  basic: {
    limits: { max_users: 100, max_items: 1_000, api_requests_per_day: 1_000, rate_limit_per_minute: 120, session_timeout_minutes: 24 * 60 },
    features: features(['reports', 'api_keys']),
    password_policy: STANDARD_PASSWORDS,
  },
  premium: {
    limits: { max_users: 1_000, max_items: 10_000, api_requests_per_day: 10_000, rate_limit_per_minute: 600, session_timeout_minutes: 24 * 60 },
    features: features(['webhooks', 'reports', 'advanced_analytics', 'custom_branding', 'api_keys', 'audit_export']),
    password_policy: STANDARD_PASSWORDS,
  },
  enterprise: {
    limits: { max_users: 10_000, max_items: 100_000, api_requests_per_day: 100_000, rate_limit_per_minute: 3_000, session_timeout_minutes: 12 * 60 },
    features: features([...FEATURE_NAMES]),
    password_policy: STRICT_PASSWORDS,
  },
  custom: {
    limits: { max_users: null, max_items: null, api_requests_per_day: null, rate_limit_per_minute: null, session_timeout_minutes: 24 * 60 },
    features: features([...FEATURE_NAMES]),
    password_policy: STRICT_PASSWORDS,
  },
}
