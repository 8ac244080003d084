// Tenantry's real app (buildApp: every plugin, hook and route) for the webhook bench, configured
// from the environment the bench gives it; with WEBHOOK_DISPATCHER_ENABLED it also dispatches. Like
// the read bench's servers it logs nothing below warn and reports readiness over IPC (serve.ts).
import { buildApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config/index.ts'
import { openDatabase } from '../../src/db/index.ts'
import { serve } from '../servers/serve.ts'

const config = loadConfig(process.env)
const db = await openDatabase(config, { onPoolError: (error) => console.error('tenantry pool error:', error) })
const app = await buildApp({ config, db })
await serve(app, 0, () => db.close())
