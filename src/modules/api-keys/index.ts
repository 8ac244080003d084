export { ApiKeysService } from './api-keys.service.ts'
export { apiKeysRoutes } from './api-keys.routes.ts'
