// Variant a2_bare_pg: pg with unnamed statements (parsed and planned on every call), no tenancy.
import pg from 'pg'
import { ITEM_SQL, serveBare } from './bare-route.ts'
import { serverEnv } from './serve.ts'

const pool = new pg.Pool({ connectionString: serverEnv().databaseUrl, max: 20 })
pool.on('error', (error) => console.error('a2_bare_pg pool error:', error))

await serveBare(
  async (tenantId, id) => (await pool.query(ITEM_SQL, [tenantId, id])).rows[0],
  () => pool.end(),
)
