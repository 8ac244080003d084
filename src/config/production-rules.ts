import type { Config } from './config.schema.ts'

/**
 * What NODE_ENV=production refuses to start with, each as one line saying what to set.
 * The database-role rule needs a live connection and lives in db/app-role-check.ts.
 */
export function productionRefusals(config: Config): string[] {
  const refusals: string[] = []
  // In every environment: a half-configured key pair would silently fall back to HS256.
  if ((config.JWT_PRIVATE_KEY === undefined) !== (config.JWT_PUBLIC_KEY === undefined)) {
    refusals.push('JWT_PRIVATE_KEY, JWT_PUBLIC_KEY: set both (EdDSA) or neither (HS256 with JWT_SECRET)')
  }
  if (config.MASTER_KEY_PREVIOUS !== undefined && (config.MASTER_KEY === undefined || config.MASTER_KEY.equals(config.MASTER_KEY_PREVIOUS))) {
    refusals.push('MASTER_KEY_PREVIOUS: set it only during a rotation, next to a new MASTER_KEY (the key being replaced goes here)')
  }
  if (config.NODE_ENV !== 'production') return refusals
  const eddsa = config.JWT_PRIVATE_KEY !== undefined && config.JWT_PUBLIC_KEY !== undefined
  if (!eddsa && (!config.JWT_SECRET || config.JWT_SECRET.length < 32)) {
    refusals.push('JWT_SECRET: must be set to at least 32 characters in production (openssl rand -base64 48)')
  }
  if (!config.SUPER_ADMIN_KEY) {
    refusals.push('SUPER_ADMIN_KEY: must be set in production (openssl rand -hex 32)')
  } else if (config.SUPER_ADMIN_KEY.length < 32) {
    refusals.push('SUPER_ADMIN_KEY: must be at least 32 characters in production (openssl rand -hex 32)')
  }
  if (config.ALLOW_DEFAULT_TENANT && config.REQUIRE_TENANT) {
    refusals.push('ALLOW_DEFAULT_TENANT: cannot be true together with REQUIRE_TENANT=true in production; set ALLOW_DEFAULT_TENANT=false')
  }
  return refusals
}
