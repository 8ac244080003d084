import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { problemResponses, TENANT_ERRORS } from '../../http/openapi.ts'
import type { DomainsService } from './domains.service.ts'

const tags = ['tenants']
const CustomDomain = Type.Object({
  domain: Type.String(),
  verified: Type.Boolean(),
  verified_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  verification: Type.Object({ type: Type.Literal('TXT'), name: Type.String(), value: Type.String() }, { description: 'the DNS record that proves ownership' }),
})
const DomainParams = Type.Object({ domain: Type.String({ minLength: 4, maxLength: 253 }) })

/** The tenant's custom domains (listed by the operator in settings.domains) and their DNS proof. */
export async function domainsRoutes(app: FastifyInstance, { domains }: { domains: DomainsService }): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>()
  api.get('/api/v1/tenant/domains', {
    config: { access: 'tenant', permission: 'settings:read' },
    schema: {
      tags, summary: "The tenant's custom domains, whether each is verified, and the TXT record that verifies it",
      response: { 200: Type.Object({ data: Type.Array(CustomDomain) }), ...problemResponses(...TENANT_ERRORS) },
    },
  }, async (request) => ({ data: await domains.list(request.tenantId!) }))

  api.post('/api/v1/tenant/domains/:domain/verify', {
    config: { access: 'tenant', permission: 'settings:write' },
    schema: {
      tags, summary: 'Look up the TXT record now; once it is there, the domain routes to this tenant (TENANT_CUSTOM_DOMAINS_ENABLED)',
      params: DomainParams, response: { 200: CustomDomain, ...problemResponses(...TENANT_ERRORS, 'not_found', 'unprocessable', 'already_exists') },
    },
  }, async (request) => domains.verify(request.tenantId!, request.params.domain))
}
