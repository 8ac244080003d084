import type { FastifyRequest } from 'fastify'
import { AppError } from '../../errors/index.ts'
import { actorFields } from '../../observability/actor-fields.ts'
import { tenantCrossAccessTotal } from '../../observability/metrics.ts'
import type { SecurityLog } from '../../observability/security-log.ts'
import type { Principal } from './principal.ts'
import type { Selector } from './tenant-resolver.ts'

const CROSS_TENANT_CODES: ReadonlySet<string> = new Set(['tenant_mismatch', 'tenant_access_denied'])
// A selector is whatever the caller sent: enough of it to tell what was named, never a flood.
const SELECTOR_SHOWN = 100

export function isCrossTenantRefusal(error: unknown): error is AppError {
  return error instanceof AppError && CROSS_TENANT_CODES.has(error.code)
}

/**
 * A request that named a tenant the caller may not act in, as a security event with who (actor,
 * address), from where (the credential's tenant) and what they named, and in
 * tenant_cross_access_total. Runs at onRequest, before the request context exists, so every
 * field comes from the request. The credential itself is never in it.
 */
export function recordCrossTenantAttempt(security: SecurityLog | undefined, request: FastifyRequest, error: AppError, route: string, selectors: Selector[]): void {
  tenantCrossAccessTotal.inc({ reason: error.code })
  const principal: Principal | null = request.principal
  security?.event('tenant.cross_tenant_attempt', {
    reason: error.code,
    request_id: request.id,
    ip: request.ip,
    method: request.method,
    route,
    actor: actorFields(request.actor),
    credential_tenant_id: credentialTenantOf(principal),
    requested: selectors.map((selector) => ({ source: selector.source, value: selector.value.slice(0, SELECTOR_SHOWN) })),
  })
}

export function credentialTenantOf(principal: Principal | null | undefined): string | undefined {
  if (principal?.kind === 'user') return principal.tokenTenantId
  if (principal?.kind === 'api_key') return principal.tenantId
  return undefined
}
