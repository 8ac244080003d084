import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { problemResponses, TENANT_ERRORS } from '../../http/openapi.ts'
import type { Services } from '../../services.ts'
import type { AttemptRow } from './deliveries.repository.ts'
import type { DeliveryRow, EndpointRow } from './webhooks.repository.ts'
import {
  CreateWebhookBody, DeliveryPage, DeliveryParams, ListDeliveriesQuery, ReplayBody, ReplayResponse, RetryResponse, TestEventResponse, ListWebhooksQuery, RotatedSecretResponse, UpdateWebhookBody, WebhookEventTypesResponse, WebhookPage,
  WebhookParams, WebhookResponse, WebhookWithSecretResponse,
} from './webhooks.schemas.ts'
import { assertWebhooksEnabled, MASKED_HEADER_VALUE, webhookEventTypes } from './webhooks.service.ts'

const tags = ['webhooks']
const iso = (date: Date | null) => (date === null ? null : date.toISOString())

// Endpoint headers often carry the receiver's own credentials: after creation (whose caller just
// sent them) reads show only the names, so a read-only role such as Auditor cannot collect them.
const maskHeaders = (headers: Record<string, string>) => Object.fromEntries(Object.keys(headers).map((name) => [name, MASKED_HEADER_VALUE]))

export const presentEndpoint = (row: EndpointRow, options: { revealHeaders?: boolean } = {}) => ({
  id: row.id, name: row.name, url: row.url, events: row.events, headers: options.revealHeaders ? row.headers : maskHeaders(row.headers), retry_count: row.retry_count, timeout_ms: row.timeout_ms,
  status: row.status, last_success_at: iso(row.last_success_at), last_failure_at: iso(row.last_failure_at), failure_count: row.failure_count,
  previous_secret_expires_at: iso(row.previous_secret_expires_at), created_at: row.created_at.toISOString(), updated_at: row.updated_at.toISOString(),
})

const presentAttempt = ({ delivery_id: _, ...attempt }: AttemptRow) => ({ ...attempt, started_at: attempt.started_at.toISOString() })

export const presentDelivery = (row: DeliveryRow, attempts: AttemptRow[] = []) => ({
  ...row, next_attempt_at: row.next_attempt_at.toISOString(), created_at: row.created_at.toISOString(), delivered_at: iso(row.delivered_at),
  attempt_log: attempts.map(presentAttempt),
})

export async function webhooksRoutes(app: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>()
  const { webhooks, webhookDeliveries } = services

  api.get('/api/v1/webhook-events', {
    config: { access: 'tenant', permission: 'webhooks:read' },
    schema: { tags, summary: 'The event types an endpoint can subscribe to, with the JSON schema of each event’s data', response: { 200: WebhookEventTypesResponse, ...problemResponses(...TENANT_ERRORS) } },
  }, async () => ({ data: webhookEventTypes() }))

  api.get('/api/v1/webhooks', {
    config: { access: 'tenant', permission: 'webhooks:read' },
    schema: { tags, summary: 'Webhook endpoints, oldest first', querystring: ListWebhooksQuery, response: { 200: WebhookPage, ...problemResponses(...TENANT_ERRORS) } },
  }, async (request) => {
    const result = await webhooks.list(request.query)
    return { data: result.data.map((row) => presentEndpoint(row)), next_cursor: result.next_cursor }
  })

  api.post('/api/v1/webhooks', {
    config: { access: 'tenant', permission: 'webhooks:write' },
    schema: {
      tags, summary: 'Register an endpoint (plan feature `webhooks`); the signing secret is returned once',
      body: CreateWebhookBody, response: { 201: WebhookWithSecretResponse, ...problemResponses(...TENANT_ERRORS, 'feature_not_enabled', 'encryption_unavailable') },
    },
  }, async (request, reply) => {
    assertWebhooksEnabled(request.tenant)
    const { secret, ...endpoint } = await webhooks.create(request.body)
    return reply.code(201).send({ ...presentEndpoint(endpoint, { revealHeaders: true }), secret })
  })

  api.get('/api/v1/webhooks/:id', {
    config: { access: 'tenant', permission: 'webhooks:read' },
    schema: { tags, summary: 'One webhook endpoint', params: WebhookParams, response: { 200: WebhookResponse, ...problemResponses(...TENANT_ERRORS, 'not_found') } },
  }, async (request) => presentEndpoint(await webhooks.get(request.params.id)))

  api.patch('/api/v1/webhooks/:id', {
    config: { access: 'tenant', permission: 'webhooks:write' },
    schema: {
      tags, summary: 'Change an endpoint (a new url is checked again); status disabled stops new deliveries',
      params: WebhookParams, body: UpdateWebhookBody, response: { 200: WebhookResponse, ...problemResponses(...TENANT_ERRORS, 'not_found') },
    },
  }, async (request) => presentEndpoint(await webhooks.update(request.params.id, request.body)))

  api.delete('/api/v1/webhooks/:id', {
    config: { access: 'tenant', permission: 'webhooks:write' },
    schema: { tags, summary: 'Delete an endpoint and its deliveries', params: WebhookParams, response: { 204: { type: 'null', description: 'deleted' }, ...problemResponses(...TENANT_ERRORS, 'not_found') } },
  }, async (request, reply) => {
    await webhooks.remove(request.params.id)
    return reply.code(204).send(null)
  })

  api.post('/api/v1/webhooks/:id/rotate-secret', {
    config: { access: 'tenant', permission: 'webhooks:write' },
    schema: {
      tags, summary: 'A new signing secret, returned once; the previous one keeps signing for 24 hours',
      params: WebhookParams, response: { 200: RotatedSecretResponse, ...problemResponses(...TENANT_ERRORS, 'not_found', 'encryption_unavailable') },
    },
  }, async (request) => {
    const rotated = await webhooks.rotateSecret(request.params.id)
    return { secret: rotated.secret, previous_secret_expires_at: rotated.previous_secret_expires_at.toISOString() }
  })

  api.get('/api/v1/webhooks/:id/deliveries', {
    config: { access: 'tenant', permission: 'webhooks:read' },
    schema: {
      tags, summary: "An endpoint's deliveries, newest first", params: WebhookParams, querystring: ListDeliveriesQuery,
      response: { 200: DeliveryPage, ...problemResponses(...TENANT_ERRORS, 'not_found') },
    },
  }, async (request) => {
    const result = await webhooks.listDeliveries(request.params.id, request.query)
    const attempts = await webhookDeliveries.attemptsFor(result.data)
    return { data: result.data.map((row) => presentDelivery(row, attempts.get(row.id))), next_cursor: result.next_cursor }
  })

  api.post('/api/v1/webhooks/:id/test', {
    config: { access: 'tenant', permission: 'webhooks:write' },
    schema: {
      tags, summary: 'Queue a `webhook.test` event for this endpoint (whatever it subscribes to); see its deliveries for the outcome',
      params: WebhookParams, response: { 202: TestEventResponse, ...problemResponses(...TENANT_ERRORS, 'not_found', 'conflict') },
    },
  }, async (request, reply) => reply.code(202).send(await webhookDeliveries.sendTest(request.params.id)))

  api.post('/api/v1/webhooks/:id/deliveries/:deliveryId/retry', {
    config: { access: 'tenant', permission: 'webhooks:write' },
    schema: {
      tags, summary: 'Send one delivery again (dead-lettered, failed or delivered) with a fresh retry budget',
      params: DeliveryParams, response: { 202: RetryResponse, ...problemResponses(...TENANT_ERRORS, 'not_found', 'conflict') },
    },
  }, async (request, reply) => reply.code(202).send(await webhookDeliveries.retry(request.params.id, request.params.deliveryId)))

  api.post('/api/v1/webhooks/:id/replay', {
    config: { access: 'tenant', permission: 'webhooks:write' },
    schema: {
      tags, summary: 'Send again every delivery created in [since, until) with one of the statuses (default dead-lettered)',
      params: WebhookParams, body: ReplayBody, response: { 202: ReplayResponse, ...problemResponses(...TENANT_ERRORS, 'not_found', 'conflict') },
    },
  }, async (request, reply) => reply.code(202).send(await webhookDeliveries.replay(request.params.id, request.body)))
}
