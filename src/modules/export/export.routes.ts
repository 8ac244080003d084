import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { PLATFORM_ERRORS, problemResponses, TENANT_ERRORS } from '../../http/openapi.ts'
import type { Services } from '../../services.ts'
import { AppError } from '../../errors/index.ts'
import type { StartedExport } from './export.service.ts'
import { allowedDataTypes, assertSelectionFeatures, selectExport, type ExportSelection } from './export-selection.ts'
import type { ExportFormat } from './tenant-export.ts'
import { importRoutes } from './import.routes.ts'

const tags = ['export']
const security = [{ bearer: [] }]
const Format = Type.Union([Type.Literal('ndjson'), Type.Literal('json')], { description: 'ndjson (default): one JSON value per line; json: one document' })
const ExportQuery = Type.Object({ format: Type.Optional(Format) }, { additionalProperties: false })
// Optional: no body exports everything as ?format says. Seed 004's body {dataTypes, format} is honoured.
const ExportBody = Type.Union([
  Type.Object(
    {
      dataTypes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 64, uniqueItems: true, description: `the parts to export (default: all): ${allowedDataTypes().join(', ')}` })),
      format: Type.Optional(Format),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
])
type ExportBodyInput = { dataTypes?: string[]; format?: ExportFormat } | null | undefined
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
    schema: { tags, summary: "Everything this tenant holds, or the parts named by dataTypes, streamed (secrets left out); the export is audited", querystring: ExportQuery, body: ExportBody, response: { 200: STREAMED, ...problemResponses(...TENANT_ERRORS, 'feature_not_enabled') } },
  }, async (request, reply) => {
    const selection = selectionOf(request.body)
    assertSelectionFeatures(selection, request.tenant)
    return send(request, reply, await exports.start(await tenants.get(request.tenantId!), formatOf(request.query, request.body), { selection }))
  })

  api.post('/api/v1/tenants/:id/export', {
    config: { access: 'platform' },
    schema: { tags, security, summary: "A tenant's data, or the parts named by dataTypes, streamed (secrets left out); audited in the platform and the tenant's log", params: ExportParams, querystring: ExportQuery, body: ExportBody, response: { 200: STREAMED, ...problemResponses(...PLATFORM_ERRORS, 'not_found') } },
  }, async (request, reply) => send(request, reply, await exports.start(await tenants.get(request.params.id), formatOf(request.query, request.body), { platform: true, selection: selectionOf(request.body) })))

  // Its own plugin: it reads bodies differently (import.routes.ts).
  await app.register(importRoutes, { services })
}

/** The body's format or the query's (both only when they agree), else NDJSON. */
function formatOf(query: { format?: ExportFormat }, body: ExportBodyInput): ExportFormat {
  if (query.format && body?.format && query.format !== body.format) {
    throw new AppError('validation_failed', `format: the query says ${query.format} and the body ${body.format}; give one`)
  }
  return body?.format ?? query.format ?? 'ndjson'
}

const selectionOf = (body: ExportBodyInput): ExportSelection => selectExport(body?.dataTypes)

function send(request: FastifyRequest, reply: FastifyReply, started: StartedExport) {
  // A failure after the first byte cannot become a problem+json: the stream is cut (no end record).
  started.stream.on('error', (error) => request.log.error({ err: error }, 'tenant export failed while streaming'))
  return reply
    .header('content-type', started.format === 'ndjson' ? 'application/x-ndjson; charset=utf-8' : 'application/json; charset=utf-8')
    .header('content-disposition', `attachment; filename="${started.filename}"`)
    .send(started.stream as never)
}
