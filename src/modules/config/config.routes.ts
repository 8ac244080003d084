import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { AppError } from '../../errors/index.ts'
import { problemResponses, TENANT_ERRORS } from '../../http/openapi.ts'
import { ConfigEntryResponse, ConfigKeyParams, ConfigPage, GetConfigQuery, ListConfigQuery, PutConfigBody } from './config.schemas.ts'
import type { ConfigEntry, ConfigService } from './config.service.ts'

const tags = ['config']
const REVEAL_PERMISSION = 'settings:write'

const presentEntry = (entry: ConfigEntry) => ({ ...entry, updated_at: entry.updated_at.toISOString() })

/**
 * Revealing a secret takes the write permission, not the read one: whoever may replace a value
 * may see it, an Auditor may not. Operators acting in the tenant (no membership) may.
 */
function assertMayReveal(request: FastifyRequest): void {
  if (request.actor.type === 'platform') return
  if (request.membership?.permissions.has(REVEAL_PERMISSION)) return
  throw new AppError('permission_denied', `revealing a value needs the ${REVEAL_PERMISSION} permission`, { permission: REVEAL_PERMISSION })
}

export async function configRoutes(app: FastifyInstance, { config }: { config: ConfigService }): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>()

  api.get('/api/v1/config', {
    config: { access: 'tenant', permission: 'settings:read' },
    schema: { tags, summary: "The tenant's configuration, by key (encrypted values masked)", querystring: ListConfigQuery, response: { 200: ConfigPage, ...problemResponses(...TENANT_ERRORS) } },
  }, async (request) => {
    const result = await config.list(request.query)
    return { data: result.data.map(presentEntry), next_cursor: result.next_cursor }
  })

  api.get('/api/v1/config/:key', {
    config: { access: 'tenant', permission: 'settings:read' },
    schema: {
      tags, summary: 'One configuration value; ?reveal=true decrypts an encrypted one (settings:write, logged)',
      params: ConfigKeyParams, querystring: GetConfigQuery,
      response: { 200: ConfigEntryResponse, ...problemResponses(...TENANT_ERRORS, 'not_found', 'encryption_unavailable', 'conflict') },
    },
  }, async (request) => {
    const { key } = request.params
    if (!request.query.reveal) return presentEntry(await config.get(key))
    assertMayReveal(request)
    const entry = await config.reveal(key)
    // Never the value: who revealed what is in the line's request context (tenant, request id).
    if (entry.is_encrypted) request.log.info({ key, event: 'config.revealed', actor: request.actor }, 'encrypted configuration value revealed')
    return presentEntry(entry)
  })

  api.put('/api/v1/config/:key', {
    config: { access: 'tenant', permission: 'settings:write' },
    schema: {
      tags, summary: 'Create or replace a configuration value, optionally encrypted (answered masked)',
      params: ConfigKeyParams, body: PutConfigBody,
      response: { 200: ConfigEntryResponse, ...problemResponses(...TENANT_ERRORS, 'encryption_unavailable') },
    },
  }, async (request) => presentEntry(await config.put(request.params.key, request.body)))

  api.delete('/api/v1/config/:key', {
    config: { access: 'tenant', permission: 'settings:write' },
    schema: {
      tags, summary: 'Remove a configuration value',
      params: ConfigKeyParams,
      response: { 204: { type: 'null', description: 'removed' }, ...problemResponses(...TENANT_ERRORS, 'not_found') },
    },
  }, async (request, reply) => {
    await config.remove(request.params.key)
    return reply.code(204).send(null)
  })
}
