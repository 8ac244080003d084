import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { AppError } from '../../errors/index.ts'
import { PLATFORM_ERRORS, problemResponses, TENANT_ERRORS } from '../../http/openapi.ts'
import { ConfigEntryResponse, ConfigKeyParams, ConfigPage, GetConfigQuery, ListConfigQuery, OperatorConfigBody, PutConfigBody, TenantConfigParams } from './config.schemas.ts'
import type { ConfigEntry, ConfigService, PutConfigInput } from './config.service.ts'

const tags = ['config']
const REVEAL_PERMISSION = 'settings:write'

const presentEntry = (entry: ConfigEntry) => ({ ...entry, updated_at: entry.updated_at.toISOString() })
const presentPage = (result: { data: ConfigEntry[]; next_cursor: string | null }) => ({ data: result.data.map(presentEntry), next_cursor: result.next_cursor })

/** `encrypted` is the deprecated name of `is_encrypted` (the answer's and the table's); both, differing, is a 400. */
function writeInput(body: { value: unknown; is_encrypted?: boolean; encrypted?: boolean }): PutConfigInput {
  if (body.encrypted !== undefined && body.is_encrypted !== undefined && body.encrypted !== body.is_encrypted) {
    throw new AppError('validation_failed', 'is_encrypted and its deprecated alias encrypted disagree; send is_encrypted only', { field: 'encrypted' })
  }
  return { value: body.value, is_encrypted: body.is_encrypted ?? body.encrypted }
}

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
  }, async (request) => presentPage(await config.list(request.query)))

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
      response: { 200: ConfigEntryResponse, ...problemResponses(...TENANT_ERRORS, 'encryption_unavailable', 'reserved_config_key') },
    },
  }, async (request) => presentEntry(await config.put(request.params.key, writeInput(request.body))))

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

  api.get('/api/v1/tenants/:id/config', {
    config: { access: 'platform' },
    schema: {
      tags: ['tenants', ...tags], summary: "Operators: a tenant's configuration, by key (encrypted values masked), without selecting the tenant",
      params: TenantConfigParams, querystring: ListConfigQuery, response: { 200: ConfigPage, ...problemResponses(...PLATFORM_ERRORS, 'not_found') },
    },
  }, async (request) => presentPage(await config.listForTenant(request.params.id, request.query)))

  api.post('/api/v1/tenants/:id/config', {
    config: { access: 'platform' },
    schema: {
      tags: ['tenants', ...tags], summary: "Operators: create or replace a tenant's configuration value without selecting the tenant (audited as the platform in the tenant's log)",
      params: TenantConfigParams, body: OperatorConfigBody,
      response: { 200: ConfigEntryResponse, ...problemResponses(...PLATFORM_ERRORS, 'not_found', 'encryption_unavailable', 'reserved_config_key') },
    },
  }, async (request) => {
    const { key, ...input } = request.body
    return presentEntry(await config.putForTenant(request.params.id, key, writeInput(input)))
  })
}
