// Variant bare_insert, the writes' 1.00 baseline: bare Fastify + postgres.js, one prepared INSERT
// of the item (the statement Tenantry's repository sends), no tenancy, no audit, no outbox.
import Fastify from 'fastify'
import postgres from 'postgres'
import { ITEM_COLUMNS } from './bare-route.ts'
import { serve, serverEnv } from './serve.ts'

interface NewItem {
  item_code: string
  name: string
  description?: string
  quantity?: number
  unit?: string
  location?: string | null
  reorder_point?: number
  unit_cost?: number
}

const INSERT_SQL = `insert into inventory_items (tenant_id, item_code, name, description, quantity, unit, location, reorder_point, unit_cost)
  values ($1, $2, $3, coalesce($4, ''), coalesce($5, 0), coalesce($6, 'each'), $7, coalesce($8, 0), coalesce($9::numeric, 0))
  returning ${ITEM_COLUMNS}`

const env = serverEnv()
const sql = postgres(env.databaseUrl, { max: 20, prepare: true })
const app = Fastify({ logger: false })

app.post<{ Body: NewItem }>('/items', async (request, reply) => {
  const item = request.body
  const rows = await sql.unsafe(
    INSERT_SQL,
    [request.headers['x-tenant-id'] as string, item.item_code, item.name, item.description ?? null, item.quantity ?? null, item.unit ?? null, item.location ?? null, item.reorder_point ?? null, item.unit_cost ?? null],
    { prepare: true },
  )
  return reply.code(201).send(rows[0])
})

await serve(app, env.port, () => sql.end({ timeout: 1 }))
