export { permissionCatalog, allPermissions, systemRoles, type Permission } from './permission-catalog.ts'
export { seedRbac, type RbacSeedResult } from './rbac.seed.ts'
export { findRole, type RoleRow } from './roles.repository.ts'
