// The SSRF guard's public surface, for the webhooks module (DESIGN §10).
export { blockedReason } from './address-policy.ts'
export { createGuardedLookup, guardedLookup, type GuardedLookupOptions } from './guarded-lookup.ts'
export { systemResolver, type Resolver } from './resolver.ts'
export { SsrfError, type BlockedAddressReason, type InvalidUrlReason, type SsrfErrorCode, type SsrfReason } from './ssrf-error.ts'
export { validateWebhookUrl, type ValidateWebhookUrlOptions } from './validate-webhook-url.ts'
export { assertLiteralTargetAllowed } from './literal-target.ts'
