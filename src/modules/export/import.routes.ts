import type { Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { AppError } from '../../errors/index.ts'
import { PLATFORM_ERRORS, problemResponses } from '../../http/openapi.ts'
import type { Services } from '../../services.ts'
import { ImportSummarySchema } from './import.schemas.ts'
import { IMPORT_JSON_MAX_BYTES, IMPORT_NDJSON_MAX_BYTES } from './import-source.ts'
import type { ExportFormat } from './tenant-export.ts'

const MiB = 1024 * 1024
const ImportParams = Type.Object({ id: Type.String({ format: 'uuid' }) })

/**
 * POST /api/v1/tenants/:id/import (platform, DESIGN §13): an export, as NDJSON or one JSON
 * document, into an empty tenant. Registered inside exportRoutes as its own plugin, so the body
 * handling below (the raw stream, no JSON parsing by Fastify) stays scoped to this route.
 */
export async function importRoutes(app: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>()
  const { imports } = services
  // The body reaches the handler unread: it is spooled to disk with its own limit (import-source.ts).
  api.removeAllContentTypeParsers()
  api.addContentTypeParser(['application/x-ndjson', 'application/json'], (_request, payload, done) => done(null, payload))

  api.post('/api/v1/tenants/:id/import', {
    config: { access: 'platform' },
    schema: {
      tags: ['export'],
      security: [{ bearer: [] }],
      summary: 'Import an export into an empty tenant (one transaction; audited in the platform and the tenant log)',
      description:
        `Body: the file of POST /api/v1/tenants/:id/export, as application/x-ndjson (at most ${IMPORT_NDJSON_MAX_BYTES / MiB} MiB, read line by line) ` +
        `or application/json (one document, at most ${IMPORT_JSON_MAX_BYTES / MiB} MiB). The tenant must be empty (409 otherwise). A file that is cut short, ` +
        'altered (counts), of another format version, or names unknown tables or columns is refused with 400 validation_failed and a `reason`; nothing is changed. ' +
        'Keys are imported revoked, webhook endpoints disabled with new secrets, encrypted configuration values and the audit log are not imported (see docs/decisions.md D57).',
      params: ImportParams,
      response: { 200: ImportSummarySchema, ...problemResponses(...PLATFORM_ERRORS, 'not_found', 'conflict', 'bad_request', 'payload_too_large', 'unsupported_media_type') },
    },
  }, async (request) => {
    const body = request.body as Readable | undefined
    if (!body) throw new AppError('validation_failed', 'send the export as the body (application/x-ndjson or application/json)', { reason: 'empty_body' })
    return imports.importUpload(request.params.id, body, formatOf(request.headers['content-type']))
  })
}

const formatOf = (contentType: string | undefined): ExportFormat => (contentType?.toLowerCase().startsWith('application/x-ndjson') ? 'ndjson' : 'json')
