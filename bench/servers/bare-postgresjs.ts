// Variant a_bare_postgresjs, the 1.00 baseline: one round trip, prepared statement, no tenancy.
import postgres from 'postgres'
import { ITEM_SQL, serveBare } from './bare-route.ts'
import { serverEnv } from './serve.ts'

const sql = postgres(serverEnv().databaseUrl, { max: 20, prepare: true })

await serveBare(
  async (tenantId, id) => (await sql.unsafe(ITEM_SQL, [tenantId, id], { prepare: true }))[0],
  () => sql.end({ timeout: 1 }),
)
