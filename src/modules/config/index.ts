export { ConfigService, MAX_VALUE_BYTES, type ConfigEntry, type PutConfigInput } from './config.service.ts'
export { configRoutes } from './config.routes.ts'
export { masterKeysOf, rewrapTenantDataKeys, rotateMasterKey, type MasterKeys, type RotationResult } from './data-keys.ts'
