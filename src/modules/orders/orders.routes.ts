import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { problemResponses, TENANT_ERRORS } from '../../http/openapi.ts'
import type { Services } from '../../services.ts'
import { presentOrder, presentOrderSummary } from './orders.presenter.ts'
import { ChangeStatusBody, CreateOrderBody, ListOrdersQuery, OrderPage, OrderParams, OrderResponse } from './orders.schemas.ts'
import type { OrderWithLines } from './orders.service.ts'

const tags = ['orders']
const present = ({ order, lines }: OrderWithLines) => presentOrder(order, lines)

export async function ordersRoutes(app: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>()
  const { orders } = services

  api.get('/api/v1/orders', {
    config: { access: 'tenant', permission: 'orders:read' },
    schema: { tags, summary: 'Orders, newest first; filter by status and creation time (from inclusive, to exclusive)', querystring: ListOrdersQuery, response: { 200: OrderPage, ...problemResponses(...TENANT_ERRORS) } },
  }, async (request) => {
    const result = await orders.list(request.query)
    return { data: result.data.map(presentOrderSummary), next_cursor: result.next_cursor }
  })

  api.post('/api/v1/orders', {
    config: { access: 'tenant', permission: 'orders:write' },
    schema: {
      tags, summary: 'Place an order: its stock is reserved at once, or 409 names the short items and nothing changes',
      body: CreateOrderBody, response: { 201: OrderResponse, ...problemResponses(...TENANT_ERRORS, 'not_found', 'conflict', 'already_exists') },
    },
  }, async (request, reply) => reply.code(201).send(present(await orders.create(request.body))))

  api.get('/api/v1/orders/:id', {
    config: { access: 'tenant', permission: 'orders:read' },
    schema: { tags, summary: 'One order with its lines', params: OrderParams, response: { 200: OrderResponse, ...problemResponses(...TENANT_ERRORS, 'not_found') } },
  }, async (request) => present(await orders.get(request.params.id)))

  api.patch('/api/v1/orders/:id/status', {
    config: { access: 'tenant', permission: 'orders:write' },
    schema: {
      tags, summary: 'Move an order on: pending → confirmed → shipped → delivered, or cancelled (releases its stock) before shipping',
      params: OrderParams, body: ChangeStatusBody, response: { 200: OrderResponse, ...problemResponses(...TENANT_ERRORS, 'not_found', 'conflict') },
    },
  }, async (request) => present(await orders.changeStatus(request.params.id, request.body.status)))

  api.delete('/api/v1/orders/:id', {
    config: { access: 'tenant', permission: 'orders:delete' },
    schema: {
      tags, summary: 'Delete a pending (its stock is released) or cancelled order',
      params: OrderParams, response: { 204: { type: 'null', description: 'deleted' }, ...problemResponses(...TENANT_ERRORS, 'not_found', 'conflict') },
    },
  }, async (request, reply) => {
    await orders.delete(request.params.id)
    return reply.code(204).send(null)
  })
}
