export { seedDefaultTenant, type DefaultTenant } from './default-tenant.seed.ts'
export type { TenantRow } from './tenants.repository.ts'
export { isLiveTenant, lockTenant } from './tenants.repository.ts'
export { DEFAULT_CONFIGURATION } from './default-configuration.ts'
