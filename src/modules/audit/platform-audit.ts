import { tryGetContext } from '../../context/index.ts'
import type { Queryable } from '../../db/index.ts'

export interface PlatformAuditEntry {
  action: string
  targetType: string
  targetId: string
  metadata?: Record<string, unknown>
}

/**
 * Writes a platform action (tenant lifecycle, operator member changes) to platform_audit_log in
 * the caller's transaction, so the record commits with the change or not at all. Actor, request
 * id and ip come from the request context. Never put secrets in metadata.
 */
export async function recordPlatformAction(tx: Queryable, entry: PlatformAuditEntry): Promise<void> {
  const ctx = tryGetContext()
  const actor = ctx?.actor
  const actorType = actor?.type === 'user' ? 'user' : actor?.type === 'platform' ? 'platform' : 'system'
  const actorId = actor && 'userId' in actor ? (actor.userId ?? null) : null
  await tx.query(
    `insert into platform_audit_log (actor_type, actor_id, action, target_type, target_id, request_id, ip, metadata)
     values ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [actorType, actorId, entry.action, entry.targetType, entry.targetId, ctx?.requestId ?? null, ctx?.ip ?? null, JSON.stringify(entry.metadata ?? {})],
  )
}
