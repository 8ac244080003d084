import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { problemResponses, TENANT_ERRORS } from '../../http/openapi.ts'
import type { Services } from '../../services.ts'
import { assertFeature } from '../plans/index.ts'
import { InventorySummaryQuery, InventorySummaryResponse } from './reports.schemas.ts'

const tags = ['reports']

export async function reportsRoutes(app: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>()
  const { reports } = services

  api.get('/api/v1/reports/inventory-summary', {
    config: { access: 'tenant', permission: 'reports:read' },
    schema: {
      tags, summary: 'Inventory totals (items, units, stock value) and the items at or below their reorder point',
      querystring: InventorySummaryQuery, response: { 200: InventorySummaryResponse, ...problemResponses(...TENANT_ERRORS, 'feature_not_enabled') },
    },
  }, async (request) => {
    assertFeature(request.tenant, 'reports', 'reports')
    const summary = await reports.inventorySummary({ lowStockLimit: request.query.low_stock_limit })
    return { ...summary, generated_at: summary.generated_at.toISOString() }
  })
}
