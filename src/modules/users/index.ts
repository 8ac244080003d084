export * as usersRepository from './users.repository.ts'
export type { UserRow } from './users.repository.ts'
export { normaliseEmail } from './users.repository.ts'
export { ensurePlatformAdmin } from './platform-admins.ts'
