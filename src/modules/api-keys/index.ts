export { ApiKeysService, type KeyCreator, type CreateKeyInput, type CreatedKey } from './api-keys.service.ts'
export { apiKeysRoutes } from './api-keys.routes.ts'
export { parseKey, displayPrefix } from './key-format.ts'
