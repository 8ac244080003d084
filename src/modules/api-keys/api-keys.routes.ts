import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { AppError } from '../../errors/index.ts'
import { problemResponses, TENANT_ERRORS } from '../../http/openapi.ts'
import type { Services } from '../../services.ts'
import { permissionsOf } from '../rbac/index.ts'
import type { ApiKeyRow } from './api-keys.repository.ts'
import { ApiKeyPage, ApiKeyParams, CreateApiKeyBody, CreatedApiKeyResponse, ListApiKeysQuery } from './api-keys.schemas.ts'
import type { CreatedKey, KeyCreator } from './api-keys.service.ts'
import { displayPrefix } from './key-format.ts'

const tags = ['api-keys']

const iso = (date: Date | null) => date?.toISOString() ?? null
const presentKey = (key: ApiKeyRow) => ({
  ...key,
  prefix: displayPrefix(key.prefix),
  expires_at: iso(key.expires_at),
  last_used_at: iso(key.last_used_at),
  revoked_at: iso(key.revoked_at),
  created_at: key.created_at.toISOString(),
})
const presentCreated = (key: CreatedKey) => {
  const { created_by: _createdBy, last_used_at: _lastUsedAt, revoked_at: _revokedAt, ...shown } = presentKey(key)
  return { ...shown, key: key.key }
}

/**
 * Keys are minted by people: a member (up to their own permissions) or an operator acting in
 * the tenant. An API key cannot mint keys, whatever it holds, so a leaked key cannot outlive
 * its revocation through children.
 */
function creatorOf(request: FastifyRequest): KeyCreator {
  if (request.principal.kind === 'api_key') throw new AppError('forbidden', 'an API key cannot create API keys; sign in as a member')
  const actor = request.actor
  // Operators hold every permission; a member holds their role's (the access plugin admitted them).
  if (actor.type === 'platform') return { userId: actor.userId ?? null, permissions: permissionsOf(request) }
  if (actor.type === 'user') return { userId: actor.userId, permissions: permissionsOf(request) }
  throw new AppError('forbidden', 'only members and operators create API keys')
}

export async function apiKeysRoutes(app: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>()
  const { apiKeys } = services

  api.get('/api/v1/api-keys', {
    config: { access: 'tenant', permission: 'api_keys:read' },
    schema: { tags, summary: "The tenant's API keys (never the keys themselves)", querystring: ListApiKeysQuery, response: { 200: ApiKeyPage, ...problemResponses(...TENANT_ERRORS, 'validation_failed') } },
  }, async (request) => {
    const result = await apiKeys.list(request.query)
    return { data: result.data.map(presentKey), next_cursor: result.next_cursor }
  })

  api.post('/api/v1/api-keys', {
    config: { access: 'tenant', permission: 'api_keys:write' },
    schema: {
      tags, summary: 'Create an API key bound to this tenant and a role or permission list; the key is shown once',
      body: CreateApiKeyBody,
      response: { 201: CreatedApiKeyResponse, ...problemResponses(...TENANT_ERRORS, 'validation_failed', 'forbidden', 'feature_not_enabled', 'conflict') },
    },
  }, async (request, reply) => {
    const created = await apiKeys.create(request.body, creatorOf(request))
    return reply.code(201).header('cache-control', 'no-store').send(presentCreated(created))
  })

  api.delete('/api/v1/api-keys/:id', {
    config: { access: 'tenant', permission: 'api_keys:write' },
    schema: {
      tags, summary: 'Revoke an API key (needs every permission the key carries): refused from the next request on',
      params: ApiKeyParams,
      response: { 204: { type: 'null', description: 'revoked' }, ...problemResponses(...TENANT_ERRORS, 'not_found') },
    },
  }, async (request, reply) => {
    await apiKeys.revoke(request.params.id, permissionsOf(request))
    return reply.code(204).send(null)
  })
}
