import type { FastifyRequest } from 'fastify'
import type { Config } from '../../config/index.ts'
import { runWithTenant } from '../../context/index.ts'
import { withTenant, withTenantStatement, type Database } from '../../db/index.ts'
import { decodeCursor, page } from '../../http/pagination.ts'
import { actorFields } from '../../observability/actor-fields.ts'
import { rbacDeniedTotal } from '../../observability/metrics.ts'
import { SecurityLog } from '../../observability/security-log.ts'
import type { TenantRecord } from '../access/tenant-directory.ts'
import * as repository from './decisions.repository.ts'
import type { DecisionFilter, DecisionRow } from './decisions.repository.ts'

/** `inventory:write` → resource inventory, action write. */
export function splitPermission(permission: string): { resource: string; action: string } {
  const at = permission.indexOf(':')
  return at < 0 ? { resource: permission, action: '' } : { resource: permission.slice(0, at), action: permission.slice(at + 1) }
}

/**
 * The permission decision log (rbac_audit_log) and the rbac_denied_total counter. A denial is
 * written in its own short tenant transaction: the request it describes fails, so it cannot
 * share that request's transaction (there is none yet: the check runs before the body is read).
 */
export class DecisionLog {
  private readonly db: Database
  private readonly config: Pick<Config, 'RBAC_AUDIT_LOGGING' | 'RBAC_METRICS_ENABLED'>
  private readonly security: SecurityLog

  constructor(
    db: Database,
    config: Pick<Config, 'RBAC_AUDIT_LOGGING' | 'RBAC_METRICS_ENABLED'>,
    security = new SecurityLog(),
  ) {
    this.db = db
    this.config = config
    this.security = security
  }

  /** Called by the access plugin before it answers 403 permission_denied. Never throws. */
  async denied(request: FastifyRequest, tenant: TenantRecord, permission: string): Promise<void> {
    const { resource, action } = splitPermission(permission)
    if (this.config.RBAC_METRICS_ENABLED) rbacDeniedTotal.inc({ permission, resource, action })
    const route = request.routeOptions.url ?? request.url.split('?')[0]!
    // The check runs before the request context exists: the request's own fields, explicitly.
    this.security.event('rbac.permission_denied', { request_id: request.id, tenant_id: tenant.id, actor: actorFields(request.actor), ip: request.ip, permission, method: request.method, route })
    if (!this.config.RBAC_AUDIT_LOGGING) return
    const principal = request.principal
    const decision = {
      user_id: principal.kind === 'user' ? principal.user.id : null,
      api_key_id: principal.kind === 'api_key' ? principal.apiKeyId : null,
      permission,
      resource,
      action,
      result: 'denied' as const,
      route,
      method: request.method,
      request_id: request.id,
    }
    try {
      // CAUTION: the tenant is the one access control resolved for this request; the row is
      // written in that tenant's context only.
      await runWithTenant(tenant.id, () => withTenantStatement(this.db, (tx) => repository.insertDecision(tx, decision)), { type: 'system', job: 'rbac-decision-log' })
    } catch (error) {
      // A log that cannot be written must not turn the 403 into a 500.
      request.log.error({ err: error, permission, tenant_id: tenant.id }, 'could not write the RBAC decision log')
    }
  }

  async list(filter: DecisionFilter, options: { limit?: number; cursor?: string }): Promise<{ data: DecisionRow[]; next_cursor: string | null }> {
    const limit = options.limit ?? 50
    const rows = await withTenant(this.db, (tx) => repository.listDecisions(tx, filter, limit, decodeCursor(options.cursor)))
    return page(rows, limit)
  }
}
