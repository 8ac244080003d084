import { buildApp } from './app.ts'
import { prepareDatabase, StartupError } from './bootstrap.ts'
import { createRedis } from './cache/redis-client.ts'
import { ConfigError, loadConfig, loadDotEnv } from './config/index.ts'
import { ensureDevSecrets } from './config/dev-secrets.ts'
import { openDatabase } from './db/index.ts'
import { MigrationError } from './db/migrate.ts'
import { AppError } from './errors/index.ts'
import { loadPlanCatalog, usePlanCatalog } from './modules/plans/index.ts'
import { ensurePlatformAdmin } from './modules/users/index.ts'
import { createLogger } from './observability/logger.ts'
import { exitWithFailure } from './lib/exit.ts'

// How long in-flight requests get to finish after SIGTERM before the process exits anyway.
const SHUTDOWN_GRACE_MS = 10_000

async function main(): Promise<void> {
  loadDotEnv()
  const { config, generatedSuperAdminKey: generated } = ensureDevSecrets(loadConfig())
  // Before the database opens: a bad plans file stops the start with one line per problem.
  usePlanCatalog(loadPlanCatalog(config.PLANS_FILE))
  const logger = createLogger(config)
  const db = await openDatabase(config, { onPoolError: (error) => logger.warn({ err: { message: error.message } }, 'database connection lost; the pool reconnects') })
  await prepareDatabase(db, config, logger)
  if (config.PLATFORM_ADMIN_EMAIL) {
    const admin = await ensurePlatformAdmin(db, config.PLATFORM_ADMIN_EMAIL, config.PLATFORM_ADMIN_PASSWORD, { existingPassword: 'keep' })
    logger.info({ user_id: admin.id }, admin.created ? 'platform admin created from PLATFORM_ADMIN_EMAIL' : 'platform admin from PLATFORM_ADMIN_EMAIL present')
  }
  const redis = config.REDIS_URL ? createRedis(config.REDIS_URL, logger) : undefined

  let shuttingDown = false
  const app = await buildApp({ config, db, redis, logger, isShuttingDown: () => shuttingDown })
  const address = await app.listen({ port: config.PORT, host: config.HOST })
  logger.info({ database: db.kind }, `Tenantry listening on ${address}`)
  if (generated) printFirstStart(generated, config.PORT, config.DATA_DIR)

  const shutdown = async (signal: string) => {
    if (shuttingDown) return
    shuttingDown = true
    logger.info({ signal }, 'shutting down: no new connections, draining requests')
    const force = setTimeout(() => {
      logger.error('shutdown grace period over; exiting with requests still open')
      process.exit(1)
    }, SHUTDOWN_GRACE_MS)
    force.unref()
    try {
      await app.close()
      await redis?.quit().catch(() => redis.disconnect())
      await db.close()
      logger.info('shutdown complete')
      process.exit(0)
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed')
      process.exit(1)
    }
  }
  process.once('SIGTERM', () => void shutdown('SIGTERM'))
  process.once('SIGINT', () => void shutdown('SIGINT'))
}

function printFirstStart(key: string, port: number, dataDir: string): void {
  // Printed once, on the start that generated the key; it is stored in DATA_DIR/super-admin-key.
  process.stdout.write(
    [
      '',
      `A SUPER_ADMIN_KEY was generated for development and saved in ${dataDir.replace(/\/+$/, '')}/super-admin-key:`,
      `  ${key}`,
      'Create a first tenant:',
      `  curl -s -X POST http://localhost:${port}/api/v1/tenants -H "Authorization: Bearer ${key}" -H 'content-type: application/json' -d '{"name":"Acme"}'`,
      '',
    ].join('\n') + '\n',
  )
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof StartupError) {
    process.stderr.write(`Tenantry cannot start:\n${(error as ConfigError).problems.map((line) => `  - ${line}`).join('\n')}\n`)
  } else if (error instanceof AppError) {
    process.stderr.write(`Tenantry cannot start: ${error.message}\n`)
  } else if (error instanceof MigrationError) {
    process.stderr.write(`Tenantry cannot start: ${error.message}\n`)
  } else if ((error as NodeJS.ErrnoException | null)?.code === 'EADDRINUSE') {
    // Another server (often an earlier `npm start`) already listens there.
    const { address, port } = error as NodeJS.ErrnoException & { address?: string; port?: number }
    process.stderr.write(`Tenantry cannot start: ${address ?? 'the address'}:${port ?? '?'} is in use by another process; stop it, or set PORT to another port\n`)
  } else {
    process.stderr.write(`Tenantry cannot start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  }
  exitWithFailure()
})

