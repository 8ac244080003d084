import { AppError } from '../../errors/index.ts'

const BY_THE_OPERATOR = "the operator's PATCH /api/v1/tenants/:id"

/**
 * Seed 004's configuration keys whose policy Tenantry keeps elsewhere. Storing them would change
 * nothing (the policy reads the tenant's settings or the server's environment), so a write is
 * refused with the setting that does drive it, rather than stored and ignored.
 */
export const RESERVED_CONFIG_KEYS: Readonly<Record<string, { setting: string; how: string }>> = {
  'security.password_policy': { setting: 'settings.password_policy', how: `the tenant's settings.password_policy (${BY_THE_OPERATOR}), over the plan's` },
  'session.timeout': { setting: 'settings.limits.session_timeout_minutes', how: `the tenant's settings.limits.session_timeout_minutes (${BY_THE_OPERATOR}), over the plan's, capped by JWT_EXPIRY` },
  'api.rate_limit': { setting: 'settings.limits.rate_limit_per_minute', how: `the tenant's settings.limits.rate_limit_per_minute and api_requests_per_day (${BY_THE_OPERATOR}), over the plan's` },
  'file_upload.max_size': { setting: 'BODY_LIMIT_BYTES', how: "the server's BODY_LIMIT_BYTES (Tenantry stores no files; a product module's uploads choose their own limit)" },
}

/** 400 reserved_config_key for a key whose policy is set elsewhere; nothing is written. */
export function assertNotReserved(key: string): void {
  const reserved = RESERVED_CONFIG_KEYS[key]
  if (!reserved) return
  throw new AppError('reserved_config_key', `${key} is set by ${reserved.how}`, { key, setting: reserved.setting })
}
