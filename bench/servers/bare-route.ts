// The baseline handlers: bare Fastify, no plugins, no tenancy; only how the row is read differs.
import Fastify from 'fastify'
import { serve, serverEnv } from './serve.ts'

/** The columns Tenantry's inventory repository reads and returns. */
export const ITEM_COLUMNS = 'id, tenant_id, item_code, name, description, quantity, unit, location, reorder_point, unit_cost, created_at, updated_at'

/** The statement every read variant runs (Tenantry's repository sends the same text). */
export const ITEM_SQL = `select ${ITEM_COLUMNS} from inventory_items where tenant_id = $1 and id = $2`

export type ReadItem = (tenantId: string, id: string) => Promise<unknown>

/** GET /items/:id with the tenant from x-tenant-id; 404 when readItem finds nothing. */
export async function serveBare(readItem: ReadItem, closeDatabase: () => Promise<void>): Promise<void> {
  const app = Fastify({ logger: false })
  app.get<{ Params: { id: string } }>('/items/:id', async (request, reply) => {
    const item = await readItem(request.headers['x-tenant-id'] as string, request.params.id)
    if (item === undefined) return reply.code(404).send({ code: 'not_found' })
    return item
  })
  await serve(app, serverEnv().port, closeDatabase)
}
