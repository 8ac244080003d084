import { once } from 'node:events'
import type { Redis } from 'ioredis'
import pino from 'pino'
import { loadConfig, loadDotEnv, type Config } from '../config/index.ts'
import { InvalidationBus } from '../cache/invalidation-bus.ts'
import { createRedis } from '../cache/redis-client.ts'
import { runWithContext } from '../context/index.ts'
import { openDatabase, withSystem, type Database } from '../db/index.ts'
import { notFound } from '../errors/index.ts'
import { isUuid } from '../lib/uuid.ts'
import { withTimeout } from '../lib/with-timeout.ts'
import { TenantDirectory, type TenantRecord } from '../modules/access/tenant-directory.ts'
import type { ExportFormat } from '../modules/export/index.ts'
import { usersRepository, type UserRow } from '../modules/users/index.ts'
import { loadPlanCatalog, usePlanCatalog } from '../modules/plans/index.ts'
import { createLogger, type Logger } from '../observability/logger.ts'
import { UsageError } from './usage-error.ts'

export { UsageError }

// Servers cache a tenant for 30 s; without Redis they cannot hear of a change made here sooner.
const REDIS_READY_TIMEOUT_MS = 3000


/** What every command needs: the validated config and a database handle it must close. */
export async function openCliContext(): Promise<{ config: Config; db: Database }> {
  loadDotEnv()
  const config = loadConfig()
  // Commands apply plan rules too (a plan migration, a member's password): the operator's plans.
  usePlanCatalog(loadPlanCatalog(config.PLANS_FILE))
  const db = await openDatabase(config, { onPoolError: (error) => process.stderr.write(`database: ${error.message}\n`) })
  return { config, db }
}

/** What a command that changes tenants or users as the operator needs, beyond the database. */
export interface OperatorContext {
  config: Config
  db: Database
  /** Logs (the security stream among them) go to stderr; stdout is the command's answer. */
  logger: Logger
  /** With REDIS_URL: the running servers' caches hear of each change at once. */
  bus: InvalidationBus
  /** Runs fn as the operator at the shell: audit entries name a platform actor, as SUPER_ADMIN_KEY does. */
  asOperator<T>(fn: () => Promise<T>): Promise<T>
  close(): Promise<void>
}

export async function openOperatorContext(): Promise<OperatorContext> {
  const { config, db } = await openCliContext()
  const logger = createLogger(config, pino.destination({ fd: 2, sync: true }))
  const redis = await connectRedis(config, logger)
  return {
    config,
    db,
    logger,
    bus: new InvalidationBus(redis, logger),
    asOperator: (fn) => runWithContext({ actor: { type: 'platform' }, userAgent: 'tenantry-cli' }, fn),
    async close() {
      // Invalidations are fire-and-forget; a round trip lets them leave before the connection
      // closes (it fails at once when Redis is down: the client queues nothing offline).
      if (redis) await redis.ping().catch(() => undefined)
      redis?.disconnect()
      await db.close()
    },
  }
}

/** With REDIS_URL, waits for the connection so the change reaches running servers at once. */
async function connectRedis(config: Config, logger: Logger): Promise<Redis | undefined> {
  if (!config.REDIS_URL) return undefined
  const redis = createRedis(config.REDIS_URL, logger)
  try {
    await withTimeout(once(redis, 'ready'), REDIS_READY_TIMEOUT_MS)
  } catch {
    logger.warn('redis unreachable: running servers see this change when their tenant cache expires (30 s)')
  }
  return redis
}

/** `--format` of the export commands: ndjson or json, else a usage error (exit 1 with the usage). */
export function exportFormatOption(value: string | undefined, fallback: ExportFormat): ExportFormat {
  if (value === undefined) return fallback
  if (value !== 'ndjson' && value !== 'json') throw new UsageError('--format must be ndjson or json')
  return value
}

/** The tenant an operator named by id or slug; a not_found AppError (exit 1) when there is none. */
export async function tenantNamed(db: Database, ref: string): Promise<TenantRecord> {
  const tenant = await new TenantDirectory(db, new InvalidationBus()).findTenant(ref)
  if (!tenant) throw notFound('tenant', ref)
  return tenant
}

/** The user an operator named by id or email; a not_found AppError (exit 1) when there is none. */
export async function userNamed(db: Database, ref: string): Promise<UserRow> {
  const user = await withSystem(db, (tx) => (isUuid(ref) ? usersRepository.findUserById(tx, ref) : usersRepository.findUserByEmail(tx, ref)))
  if (!user) throw notFound('user', ref)
  return user
}
