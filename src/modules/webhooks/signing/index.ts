// Signing for every webhook delivery attempt (DESIGN §10): the body bytes and the headers.
export { buildEventBody, MAX_EVENT_BODY_BYTES, type WebhookEvent } from './payload.ts'
export {
  isWebhookSecret,
  legacySignature,
  newWebhookSecret,
  signDelivery,
  standardWebhooksKey,
  verifyLegacySignature,
  verifyStandardWebhook,
  WEBHOOK_USER_AGENT,
  type SignDeliveryInput,
  type WebhookDeliveryHeaders,
} from './signatures.ts'
