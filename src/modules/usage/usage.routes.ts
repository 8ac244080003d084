import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { PLATFORM_ERRORS, problemResponses, TENANT_ERRORS } from '../../http/openapi.ts'
import type { Services } from '../../services.ts'
import { effectiveConfig } from '../plans/index.ts'
import { TenantHealthResponse, TenantIdParams, UsageQuery, UsageReportResponse } from './usage.schemas.ts'

const tags = ['usage']
const security = [{ bearer: [] }]

export async function usageRoutes(app: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>()
  const { usageReports, tenantHealth, tenants } = services

  // Tenant Admins (and Auditors): settings:read is the permission that shows the tenant, its plan and limits.
  api.get('/api/v1/usage', {
    config: { access: 'tenant', permission: 'settings:read' },
    schema: { tags, summary: "This tenant's daily usage and totals against its plan's limits", querystring: UsageQuery, response: { 200: UsageReportResponse, ...problemResponses(...TENANT_ERRORS) } },
  }, async (request) => {
    const tenant = request.tenant!
    return usageReports.report({ id: tenant.id, plan: tenant.plan, configuration: effectiveConfig(tenant.plan, tenant.settings) }, request.query.timeRange ?? '30d')
  })

  api.get('/api/v1/tenants/:id/usage', {
    config: { access: 'platform' },
    schema: { tags, security, summary: "A tenant's daily usage and totals against its plan's limits", params: TenantIdParams, querystring: UsageQuery, response: { 200: UsageReportResponse, ...problemResponses(...PLATFORM_ERRORS, 'not_found') } },
  }, async (request) => usageReports.report(await tenants.get(request.params.id), request.query.timeRange ?? '30d'))

  api.get('/api/v1/tenants/:id/health', {
    config: { access: 'platform' },
    schema: { tags, security, summary: "A tenant's health as this instance sees it: database, Redis, storage, API errors and latency", params: TenantIdParams, response: { 200: TenantHealthResponse, ...problemResponses(...PLATFORM_ERRORS, 'not_found') } },
  }, async (request, reply) => {
    reply.header('cache-control', 'no-store')
    return tenantHealth.check(await tenants.get(request.params.id))
  })
}
