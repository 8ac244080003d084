export type { CheckResult } from './check.ts'
export { configChecks } from './config-checks.ts'
export { databaseChecks } from './database-checks.ts'
export { redisChecks } from './redis-checks.ts'
