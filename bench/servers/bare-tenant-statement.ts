// Variant a3_bare_tenant_statement: the bare handler, reading through Tenantry's tenant statement
// (pg, pool logged in as tenantry_app: the context statement and the query pipelined before one
// Sync, one round trip, RLS applied). Against a_bare_postgresjs it prices the database side of
// tenant isolation alone, without Tenantry's HTTP stack.
import { loadConfig } from '../../src/config/index.ts'
import { openDatabase } from '../../src/db/index.ts'
import { ITEM_SQL, serveBare } from './bare-route.ts'
import { serverEnv } from './serve.ts'

const env = serverEnv()
const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: env.databaseUrl, DATABASE_APP_URL: env.appDatabaseUrl, LOG_LEVEL: 'silent', DATABASE_POOL_MAX: '20' })
const db = await openDatabase(config, { onPoolError: (error) => console.error('tenantry pool error:', error) })

await serveBare(async (tenantId, id) => (await db.tenantStatement(tenantId, ITEM_SQL, [tenantId, id])).rows[0], () => db.close())
