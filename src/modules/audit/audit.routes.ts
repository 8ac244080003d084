import { Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { problemResponses, TENANT_ERRORS } from '../../http/openapi.ts'
import type { Services } from '../../services.ts'
import { assertFeature } from '../plans/index.ts'
import type { AuditRow } from './audit.repository.ts'
import { AuditEntryResponse, AuditPage, ExportAuditQuery, ListAuditQuery, VerifyResponse } from './audit.schemas.ts'

const tags = ['audit']
const hex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')

export const presentEntry = (row: AuditRow) => ({
  ...row,
  seq: Number(row.seq),
  changes: (row.changes ?? {}) as Record<string, unknown>,
  prev_hash: hex(row.prev_hash),
  hash: hex(row.hash),
})

/** The tenant audit log (DESIGN §9). GET /api/v1/audit-logs/rbac is the RBAC module's. */
export async function auditRoutes(app: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>()
  const { audit } = services

  api.get('/api/v1/audit-logs', {
    config: { access: 'tenant', permission: 'audit:read' },
    schema: { tags, summary: "The tenant's audit log, newest first, filtered by actor, action (exact or prefix), resource and time", querystring: ListAuditQuery, response: { 200: AuditPage, ...problemResponses(...TENANT_ERRORS) } },
  }, async (request) => {
    const result = await audit.list(request.query)
    return { data: result.data.map(presentEntry), next_cursor: result.next_cursor }
  })

  api.get('/api/v1/audit-logs/export', {
    config: { access: 'tenant', permission: 'audit:export' },
    schema: {
      tags, summary: 'Every matching audit entry, oldest first, streamed as NDJSON (one entry per line); the export is itself audited',
      querystring: ExportAuditQuery,
      response: { 200: { description: 'application/x-ndjson: one entry per line', content: { 'application/x-ndjson': { schema: AuditEntryResponse } } }, ...problemResponses(...TENANT_ERRORS, 'feature_not_enabled') },
    },
  }, async (request, reply) => {
    assertFeature(request.tenant, 'audit_export', 'audit log exports')
    const entries = await audit.export(request.query)
    const lines = Readable.from((async function* ndjson() {
      for await (const row of entries) yield `${JSON.stringify(presentEntry(row))}\n`
    })())
    // A failure after the first line cannot become a problem+json any more: the stream is cut.
    lines.on('error', (error) => request.log.error({ err: error }, 'audit export failed while streaming'))
    return reply
      .header('content-type', 'application/x-ndjson; charset=utf-8')
      .header('content-disposition', `attachment; filename="audit-log-${request.tenantId}.ndjson"`)
      // The schema describes each line; the body is the stream of them.
      .send(lines as never)
  })

  api.get('/api/v1/audit-logs/verify', {
    config: { access: 'tenant', permission: 'audit:read' },
    schema: { tags, summary: "Checks the tenant's hash chain from its anchor to its head; reports the first altered or missing entry", response: { 200: VerifyResponse, ...problemResponses(...TENANT_ERRORS) } },
  }, async (request) => audit.verify(request.tenantId!))
}
