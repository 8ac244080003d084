// Variants b_tenantry and b_tenantry_app_login: the read through Tenantry's real request path
// (buildApp's plugins and hooks, the request context, InventoryService → withTenantStatement).
// With BENCH_SERVER_APP_DATABASE_URL the pool logs in as tenantry_app and needs no role switch.
import { buildApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config/index.ts'
import { openDatabase } from '../../src/db/index.ts'
import { InventoryService } from '../../src/modules/inventory/index.ts'
import { serve, serverEnv } from './serve.ts'

const env = serverEnv()
const config = loadConfig({
  NODE_ENV: 'test',
  DATABASE_URL: env.databaseUrl,
  DATABASE_APP_URL: env.appDatabaseUrl,
  LOG_LEVEL: 'silent',
  DATABASE_POOL_MAX: '20',
  CORS_ORIGIN: 'false', // as in production (api.ts): no CORS hook on every request
})
const db = await openDatabase(config, { onPoolError: (error) => console.error('tenantry pool error:', error) })
const app = await buildApp({ config, db })
const inventory = new InventoryService(db)

app.get<{ Params: { id: string } }>(
  '/items/:id',
  {
    // CAUTION: trusts the header as the tenant. This stands in for tenant resolution (a later
    // issue); the request-context plugin turns request.tenantId into the AsyncLocalStorage context.
    onRequest: (request, _reply, done) => {
      request.tenantId = request.headers['x-tenant-id'] as string
      done()
    },
  },
  (request) => inventory.getItem(request.params.id),
)

await serve(app, env.port, () => db.close())
