export { ConfigService, MAX_VALUE_BYTES, type ConfigEntry, type PutConfigInput } from './config.service.ts'
export { configRoutes } from './config.routes.ts'
export { rewrapTenantDataKeys } from './data-keys.ts'
