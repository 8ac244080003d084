import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { PLATFORM_ERRORS, problemResponses, TENANT_ERRORS } from '../../http/openapi.ts'
import type { Services } from '../../services.ts'
import type { StartedExport } from './export.service.ts'
import type { ExportFormat } from './tenant-export.ts'
import { importRoutes } from './import.routes.ts'

const tags = ['export']
const security = [{ bearer: [] }]
// The format is a query parameter, so the POST needs no body (a JSON body, if sent, is ignored).
const ExportQuery = Type.Object({ format: Type.Optional(Type.Union([Type.Literal('ndjson'), Type.Literal('json')], { description: 'ndjson (default): one JSON value per line; json: one document' })) }, { additionalProperties: false })
const ExportParams = Type.Object({ id: Type.String({ format: 'uuid' }) })
const STREAMED = {
  description: 'The tenant\'s data, streamed: NDJSON ({"type":"header"}, {"type":"row","table","row"} per row, {"type":"end","rows"}) or one JSON document. A file without its end record was cut short.',
  content: { 'application/x-ndjson': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'object' } } },
}

/** POST /api/v1/export (a tenant's own data, tenant:export) and POST /api/v1/tenants/:id/export (platform), DESIGN §9, §13. */
export async function exportRoutes(app: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>()
  const { exports, tenants } = services

  api.post('/api/v1/export', {
    config: { access: 'tenant', permission: 'tenant:export' },
    schema: { tags, summary: "Everything this tenant holds, streamed (secrets left out); the export is audited", querystring: ExportQuery, response: { 200: STREAMED, ...problemResponses(...TENANT_ERRORS) } },
  }, async (request, reply) => send(request, reply, await exports.start(await tenants.get(request.tenantId!), formatOf(request.query))))

  api.post('/api/v1/tenants/:id/export', {
    config: { access: 'platform' },
    schema: { tags, security, summary: "A tenant's data, streamed (secrets left out); audited in the platform and the tenant's log", params: ExportParams, querystring: ExportQuery, response: { 200: STREAMED, ...problemResponses(...PLATFORM_ERRORS, 'not_found') } },
  }, async (request, reply) => send(request, reply, await exports.start(await tenants.get(request.params.id), formatOf(request.query), { platform: true })))

  // Its own plugin: it reads bodies differently (import.routes.ts).
  await app.register(importRoutes, { services })
}

const formatOf = (query: { format?: ExportFormat }): ExportFormat => query.format ?? 'ndjson'

function send(request: FastifyRequest, reply: FastifyReply, started: StartedExport) {
  // A failure after the first byte cannot become a problem+json: the stream is cut (no end record).
  started.stream.on('error', (error) => request.log.error({ err: error }, 'tenant export failed while streaming'))
  return reply
    .header('content-type', started.format === 'ndjson' ? 'application/x-ndjson; charset=utf-8' : 'application/json; charset=utf-8')
    .header('content-disposition', `attachment; filename="${started.filename}"`)
    .send(started.stream as never)
}
