import { AsyncLocalStorage } from 'node:async_hooks'
import { tenantContextErrorsTotal } from '../observability/metrics.ts'

/** Who is acting. Later issues fill in users and API keys; the shape is fixed here. */
export type Actor =
  | { type: 'anonymous' }
  | { type: 'system'; job?: string }
  | { type: 'platform'; userId?: string }
  | { type: 'user'; userId: string }
  | { type: 'api_key'; apiKeyId: string }

export interface RequestContext {
  readonly tenantId?: string
  readonly actor: Actor
  readonly requestId?: string
  /** The caller's address and user agent, for audit entries. */
  readonly ip?: string
  readonly userAgent?: string
}

/** Thrown when tenant-scoped data is reached without a tenant in context. */
export class TenantContextError extends Error {
  constructor(message = 'No tenant context: tenant-scoped data can only be reached inside runWithTenant or a tenant request') {
    super(message)
    this.name = 'TenantContextError'
    // Counted where it is made: every module that raises it (withTenant, audit, usage) passes here.
    tenantContextErrorsTotal.inc()
  }
}

const storage = new AsyncLocalStorage<RequestContext>()

/**
 * Runs fn with ctx as the current context. The only way to set a context: `run` scopes it to fn
 * and its async descendants. CAUTION: never use `enterWith`; it leaks the tenant past its scope.
 */
export function runWithContext<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(Object.freeze({ ...ctx }), fn)
}

/** For jobs, scripts and provisioning: run fn inside `tenantId`, as `actor` (default: the current actor, else system). */
export function runWithTenant<T>(tenantId: string, fn: () => T, actor?: Actor): T {
  const parent = storage.getStore()
  return runWithContext({ tenantId, actor: actor ?? parent?.actor ?? { type: 'system' }, requestId: parent?.requestId, ip: parent?.ip, userAgent: parent?.userAgent }, fn)
}

export function tryGetContext(): RequestContext | undefined {
  return storage.getStore()
}

export function getContext(): RequestContext {
  const ctx = storage.getStore()
  if (!ctx) throw new TenantContextError('No request context')
  return ctx
}

/** The context's tenant, or TenantContextError. */
export function currentTenantId(): string {
  const tenantId = storage.getStore()?.tenantId
  if (!tenantId) throw new TenantContextError()
  return tenantId
}
