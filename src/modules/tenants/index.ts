export { seedDefaultTenant, type DefaultTenant } from './default-tenant.seed.ts'
