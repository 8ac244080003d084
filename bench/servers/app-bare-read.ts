// Variant b_app_bare_read: Tenantry's buildApp (every plugin and hook: request ids, security
// headers, the request context, metrics, usage) around the bare postgres.js read, no tenancy.
// Against a_bare_postgresjs it prices the HTTP stack alone, without the tenant statement.
import postgres from 'postgres'
import { buildApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config/index.ts'
import { openDatabase } from '../../src/db/index.ts'
import { ITEM_SQL } from './bare-route.ts'
import { serve, serverEnv } from './serve.ts'

const env = serverEnv()
// As tenantry.ts: the app needs its database to build; the route reads through postgres.js.
const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: env.databaseUrl, LOG_LEVEL: 'silent', DATABASE_POOL_MAX: '20', CORS_ORIGIN: 'false' })
const db = await openDatabase(config, { onPoolError: (error) => console.error('tenantry pool error:', error) })
const app = await buildApp({ config, db })
const sql = postgres(env.databaseUrl, { max: 20, prepare: true })

app.get<{ Params: { id: string } }>('/items/:id', async (request, reply) => {
  const [item] = await sql.unsafe(ITEM_SQL, [request.headers['x-tenant-id'] as string, request.params.id], { prepare: true })
  if (item === undefined) return reply.code(404).send({ code: 'not_found' })
  return item
})

await serve(app, env.port, async () => {
  await sql.end({ timeout: 1 })
  await db.close()
})
