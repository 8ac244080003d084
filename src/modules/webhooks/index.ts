export { WebhooksService, assertWebhooksEnabled, webhookEventTypes, PREVIOUS_SECRET_TTL_MS, type CreateWebhookInput, type UpdateWebhookInput } from './webhooks.service.ts'
export { webhooksRoutes } from './webhooks.routes.ts'
export { enqueueWebhookDeliveries } from './outbox.ts'
export * as webhooksRepository from './webhooks.repository.ts'
