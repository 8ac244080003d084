import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { PLATFORM_ERRORS, problemResponses, TENANT_ERRORS } from '../../http/openapi.ts'
import type { TenantsService } from './tenants.service.ts'
import {
  CreateTenantBody,
  DeleteTenantQuery,
  ListTenantsQuery,
  MigratePlanBody,
  presentTenant,
  TenantIdParams,
  TenantPage,
  TenantResponse,
  UpdateOwnTenantBody,
  UpdateTenantBody,
} from './tenants.schemas.ts'

const platform = { access: 'platform' as const }
const tags = ['tenants']
const security = [{ bearer: [] }]

/** Platform routes: SUPER_ADMIN_KEY or a platform-admin token. Thin: validate → service → reply. */
export async function tenantsRoutes(app: FastifyInstance, { tenants }: { tenants: TenantsService }): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>()

  api.post('/api/v1/tenants', {
    config: platform,
    schema: { tags, security, summary: 'Create (provision) a tenant', body: CreateTenantBody, response: { 201: TenantResponse, ...problemResponses(...PLATFORM_ERRORS, 'already_exists') } },
  }, async (request, reply) => reply.code(201).send(presentTenant(await tenants.create(request.body))))

  api.get('/api/v1/tenants', {
    config: platform,
    schema: { tags, security, summary: 'List tenants (newest first)', querystring: ListTenantsQuery, response: { 200: TenantPage, ...problemResponses(...PLATFORM_ERRORS) } },
  }, async (request) => {
    const result = await tenants.list(request.query)
    return { data: result.data.map(presentTenant), next_cursor: result.next_cursor }
  })

  api.get('/api/v1/tenants/:id', {
    config: platform,
    schema: { tags, security, summary: 'Get a tenant', params: TenantIdParams, response: { 200: TenantResponse, ...problemResponses(...PLATFORM_ERRORS, 'not_found') } },
  }, async (request) => presentTenant(await tenants.get(request.params.id)))

  api.patch('/api/v1/tenants/:id', {
    config: platform,
    schema: { tags, security, summary: 'Rename a tenant or change its settings (a settings key set to null returns to the plan default)', params: TenantIdParams, body: UpdateTenantBody, response: { 200: TenantResponse, ...problemResponses(...PLATFORM_ERRORS, 'not_found') } },
  }, async (request) => presentTenant(await tenants.update(request.params.id, request.body)))

  api.delete('/api/v1/tenants/:id', {
    config: platform,
    schema: {
      tags, security, summary: 'Soft-delete a tenant (reversible); ?purge=true on a deleted tenant removes all its data',
      params: TenantIdParams, querystring: DeleteTenantQuery,
      response: { 200: Type.Union([TenantResponse, Type.Object({ id: Type.String(), purged: Type.Record(Type.String(), Type.Integer()) })]), ...problemResponses(...PLATFORM_ERRORS, 'not_found', 'conflict') },
    },
  }, async (request) => (request.query.purge ? tenants.purge(request.params.id) : presentTenant(await tenants.softDelete(request.params.id))))

  for (const [action, summary] of [['suspend', 'Suspend a tenant: its members are refused at once'], ['reactivate', 'Reactivate a suspended or deleted tenant']] as const) {
    api.post(`/api/v1/tenants/:id/${action}`, {
      config: platform,
      schema: { tags, security, summary, params: TenantIdParams, response: { 200: TenantResponse, ...problemResponses(...PLATFORM_ERRORS, 'not_found', 'conflict') } },
    }, async (request) => presentTenant(await (action === 'suspend' ? tenants.suspend(request.params.id) : tenants.reactivate(request.params.id))))
  }

  api.post('/api/v1/tenants/:id/migrate', {
    config: platform,
    schema: { tags, security, summary: "Move a tenant to another plan, keeping its overrides; refused when usage exceeds the plan", params: TenantIdParams, body: MigratePlanBody, response: { 200: TenantResponse, ...problemResponses(...PLATFORM_ERRORS, 'not_found', 'plan_limit_exceeded') } },
  }, async (request) => presentTenant(await tenants.migratePlan(request.params.id, request.body.targetPlan)))
}

/** The caller's own tenant (tenant-scoped). */
export async function currentTenantRoutes(app: FastifyInstance, { tenants }: { tenants: TenantsService }): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>()
  api.get('/api/v1/tenant', {
    config: { access: 'tenant', permission: 'settings:read' },
    schema: { tags, summary: 'The tenant this request is for', response: { 200: TenantResponse, ...problemResponses(...TENANT_ERRORS) } },
  }, async (request) => presentTenant(await tenants.get(request.tenantId!)))

  api.patch('/api/v1/tenant', {
    config: { access: 'tenant', permission: 'settings:write' },
    schema: {
      tags, summary: "Rename the tenant or change its branding (null: back to none); the rest of its settings are the operator's",
      body: UpdateOwnTenantBody, response: { 200: TenantResponse, ...problemResponses(...TENANT_ERRORS, 'feature_not_enabled') },
    },
  }, async (request) => presentTenant(await tenants.updateOwn(request.tenantId!, request.body)))
}
