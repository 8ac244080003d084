// `tenantry worker`: the webhook dispatcher (and the scheduled jobs when SCHEDULER_ENABLED) in a
// process of its own, for deployments that keep HTTP servers and background work apart. Any
// number of workers and servers can run side by side on one PostgreSQL database.
import { prepareDatabase } from '../../bootstrap.ts'
import { createRedis } from '../../cache/redis-client.ts'
import { loadConfig, loadDotEnv } from '../../config/index.ts'
import { openDatabase } from '../../db/index.ts'
import { createLogger } from '../../observability/logger.ts'
import { createServices } from '../../services.ts'
import { UsageError } from '../cli-context.ts'

// Attempts in flight get this long to finish on SIGTERM; the rest go back to the queue.
const SHUTDOWN_GRACE_MS = 10_000

export async function workerCommand(): Promise<void> {
  loadDotEnv()
  const config = loadConfig()
  // One process owns an embedded data directory: a worker beside `npm start` would corrupt it,
  // and the server's in-process dispatcher already sends webhooks there.
  if (!config.DATABASE_URL || config.DATABASE_URL === 'memory://') {
    throw new UsageError('tenantry worker needs PostgreSQL (DATABASE_URL): on the embedded database the server sends webhooks itself (WEBHOOK_DISPATCHER_ENABLED)')
  }
  const logger = createLogger(config)
  const db = await openDatabase(config, { onPoolError: (error) => logger.warn({ err: { message: error.message } }, 'database connection lost; the pool reconnects') })
  await prepareDatabase(db, config, logger)
  const redis = config.REDIS_URL ? createRedis(config.REDIS_URL, logger) : undefined
  const services = createServices({ config, db, redis, logger })
  services.usage.start(logger)
  if (config.SCHEDULER_ENABLED) services.scheduler.start(logger)
  await services.dispatcher.start()
  logger.info({ database: db.kind, pid: process.pid }, 'tenantry worker running')

  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve)
    process.once('SIGINT', resolve)
  })
  logger.info('worker shutting down: finishing attempts in flight')
  await services.dispatcher.stop(SHUTDOWN_GRACE_MS)
  await services.scheduler.stop()
  await services.usage.stop()
  await redis?.quit().catch(() => redis.disconnect())
  await db.close()
  logger.info('worker stopped')
}
