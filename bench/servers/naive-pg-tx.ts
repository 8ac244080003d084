// Variant naive_pg_tx: the tenant transaction done the obvious way with pg, one round trip per
// statement (BEGIN, tenant, role, query, COMMIT): what Tenantry's pipelining is measured against.
import pg from 'pg'
import { ITEM_SQL, serveBare } from './bare-route.ts'
import { serverEnv } from './serve.ts'

const pool = new pg.Pool({ connectionString: serverEnv().databaseUrl, max: 20 })
pool.on('error', (error) => console.error('naive_pg_tx pool error:', error))

async function readItem(tenantId: string, id: string): Promise<unknown> {
  const client = await pool.connect()
  try {
    await client.query('begin')
    await client.query("select set_config('app.current_tenant_id', $1, true)", [tenantId])
    await client.query('set local role tenantry_app')
    const { rows } = await client.query(ITEM_SQL, [tenantId, id])
    await client.query('commit')
    client.release()
    return rows[0]
  } catch (error) {
    // Destroy rather than roll back: the connection may be mid-transaction or broken.
    client.release(error as Error)
    throw error
  }
}

await serveBare(readItem, () => pool.end())
