import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { problemResponses, TENANT_ERRORS } from '../../http/openapi.ts'
import type { Services } from '../../services.ts'
import { presentAdjustment, presentItem } from './inventory.presenter.ts'
import {
  AdjustedResponse, AdjustmentBody, AdjustmentPage, CreateItemBody, ItemPage, ItemParams, ItemResponse, ListAdjustmentsQuery, ListItemsQuery, UpdateItemBody,
} from './inventory.schemas.ts'

const tags = ['inventory']

export async function inventoryRoutes(app: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>()
  const { inventory } = services

  api.get('/api/v1/inventory', {
    config: { access: 'tenant', permission: 'inventory:read' },
    schema: { tags, summary: 'Inventory items, oldest first; search with q, filter by location or low_stock', querystring: ListItemsQuery, response: { 200: ItemPage, ...problemResponses(...TENANT_ERRORS) } },
  }, async (request) => {
    const { q, location, low_stock: lowStock, limit, cursor } = request.query
    const result = await inventory.list({ q, location, lowStock, limit, cursor })
    return { data: result.data.map(presentItem), next_cursor: result.next_cursor }
  })

  api.post('/api/v1/inventory', {
    config: { access: 'tenant', permission: 'inventory:write' },
    schema: { tags, summary: 'Create an item (within the plan’s max_items)', body: CreateItemBody, response: { 201: ItemResponse, ...problemResponses(...TENANT_ERRORS, 'already_exists', 'quota_exceeded') } },
  }, async (request, reply) => reply.code(201).send(presentItem(await inventory.createItem(request.body))))

  api.get('/api/v1/inventory/:id', {
    config: { access: 'tenant', permission: 'inventory:read' },
    schema: { tags, summary: 'One inventory item', params: ItemParams, response: { 200: ItemResponse, ...problemResponses(...TENANT_ERRORS, 'not_found') } },
  }, async (request) => presentItem(await inventory.getItem(request.params.id)))

  api.patch('/api/v1/inventory/:id', {
    config: { access: 'tenant', permission: 'inventory:write' },
    schema: {
      tags, summary: 'Change an item; a new quantity is recorded in its adjustments ledger',
      params: ItemParams, body: UpdateItemBody, response: { 200: ItemResponse, ...problemResponses(...TENANT_ERRORS, 'not_found', 'already_exists') },
    },
  }, async (request) => presentItem(await inventory.updateItem(request.params.id, request.body)))

  api.delete('/api/v1/inventory/:id', {
    config: { access: 'tenant', permission: 'inventory:delete' },
    schema: {
      tags, summary: 'Delete an item (refused while orders refer to it)',
      params: ItemParams, response: { 204: { type: 'null', description: 'deleted' }, ...problemResponses(...TENANT_ERRORS, 'not_found', 'conflict') },
    },
  }, async (request, reply) => {
    await inventory.deleteItem(request.params.id)
    return reply.code(204).send(null)
  })

  api.post('/api/v1/inventory/:id/adjustments', {
    config: { access: 'tenant', permission: 'inventory:write' },
    schema: {
      tags, summary: 'Add or remove stock (never below zero: 409 names the available stock)',
      params: ItemParams, body: AdjustmentBody, response: { 201: AdjustedResponse, ...problemResponses(...TENANT_ERRORS, 'not_found', 'conflict') },
    },
  }, async (request, reply) => {
    const { adjustment, item } = await inventory.adjustStock(request.params.id, request.body)
    return reply.code(201).send({ adjustment: presentAdjustment(adjustment), item: presentItem(item) })
  })

  api.get('/api/v1/inventory/:id/adjustments', {
    config: { access: 'tenant', permission: 'inventory:read' },
    schema: {
      tags, summary: "An item's stock ledger, newest first (adjustments, orders reserving and releasing)",
      params: ItemParams, querystring: ListAdjustmentsQuery, response: { 200: AdjustmentPage, ...problemResponses(...TENANT_ERRORS, 'not_found') },
    },
  }, async (request) => {
    const result = await inventory.listAdjustments(request.params.id, request.query)
    return { data: result.data.map(presentAdjustment), next_cursor: result.next_cursor }
  })
}
