// Variants api_*: Tenantry as src/main.ts runs it — configuration from the environment (set by
// bench/run.ts: NODE_ENV=production, secrets, the database), the start-up checks of
// prepareDatabase, and buildApp with every plugin, hook and route — on PostgreSQL or, without
// DATABASE_URL, on PGlite in DATA_DIR. Requests go through /api/v1 with real credentials:
// JWT verification (cached), tenant resolution, RBAC, rate limits, the RLS transaction, metrics
// and usage counting. Only the listening and the shutdown are the bench's (serve.ts).
import { buildApp } from '../../src/app.ts'
import { prepareDatabase } from '../../src/bootstrap.ts'
import { loadConfig } from '../../src/config/index.ts'
import { openDatabase } from '../../src/db/index.ts'
import { createLogger } from '../../src/observability/logger.ts'
import { serve } from './serve.ts'

const config = loadConfig(process.env)
const logger = createLogger(config)
const db = await openDatabase(config, { onPoolError: (error) => logger.warn({ err: { message: error.message } }, 'database connection lost') })
await prepareDatabase(db, config, logger)
const app = await buildApp({ config, db, logger })
await serve(app, 0, () => db.close())
