import { tryGetContext } from '../context/index.ts'
import { actorFields } from './actor-fields.ts'
import type { Logger } from './logger.ts'

/** The `name` of every security event line: ship or alert on `name == "security"` alone. */
export const SECURITY_LOGGER_NAME = 'security'

export type SecurityEvent =
  | 'auth.login_succeeded'
  | 'auth.login_failed'
  | 'auth.lockout'
  | 'rbac.permission_denied'
  | 'tenant.cross_tenant_attempt'
  | 'api_key.created'
  | 'api_key.revoked'
  | 'tenant.suspended'
  | 'tenant.reactivated'
  | 'user.erased'

// Failures and lockouts are what an alert watches; successes and changes are the trail.
const WARN: ReadonlySet<SecurityEvent> = new Set(['auth.login_failed', 'auth.lockout', 'tenant.cross_tenant_attempt'])

/**
 * The security event stream (decision D32): a child of the process logger named `security`, so
 * it is the same JSON lines, separable by name. Request id, actor and IP come from the request
 * context when there is one; callers add what the event is about (ids, never credentials, never
 * the email that was typed: a password pasted into the email field must not land here).
 */
export class SecurityLog {
  private readonly logger: Logger | undefined

  /** Without a logger (a CLI command, a test that does not look) events go nowhere. */
  constructor(logger?: Logger) {
    this.logger = logger?.child({ name: SECURITY_LOGGER_NAME })
  }

  event(event: SecurityEvent, fields: Record<string, unknown> = {}): void {
    if (!this.logger) return
    const context = tryGetContext()
    const line = { event, request_id: context?.requestId, tenant_id: context?.tenantId, actor: actorFields(context?.actor), ip: context?.ip, ...fields }
    if (WARN.has(event)) this.logger.warn(line, event)
    else this.logger.info(line, event)
  }
}
