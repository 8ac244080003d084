// SQL for rbac_audit_log, the permission decision log (append-only for the app role).
import type { TenantTx } from '../../db/index.ts'

export interface DecisionRow {
  id: string
  user_id: string | null
  api_key_id: string | null
  permission: string
  resource: string
  action: string
  result: 'allowed' | 'denied'
  route: string
  method: string
  request_id: string | null
  created_at: Date
}

export type NewDecision = Omit<DecisionRow, 'id' | 'created_at'>

export interface DecisionFilter {
  result?: 'allowed' | 'denied'
  permission?: string
  user_id?: string
  api_key_id?: string
  /** Inclusive lower and exclusive upper bound on created_at. */
  from?: string
  to?: string
}

export async function insertDecision(tx: TenantTx, decision: NewDecision): Promise<void> {
  await tx.query(
    `insert into rbac_audit_log (tenant_id, user_id, api_key_id, permission, resource, action, result, route, method, request_id)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [tx.tenantId, decision.user_id, decision.api_key_id, decision.permission, decision.resource, decision.action, decision.result, decision.route, decision.method, decision.request_id],
  )
}

/** Newest first, keyset-paginated on (created_at, id) descending. */
export async function listDecisions(tx: TenantTx, filter: DecisionFilter, limit: number, before: { at: string; id: string } | undefined): Promise<(DecisionRow & { position: string })[]> {
  const { rows } = await tx.query<DecisionRow & { position: string }>(
    `select id, user_id, api_key_id, permission, resource, action, result, route, method, request_id, created_at, created_at::text as position
       from rbac_audit_log
      where tenant_id = $1
        and ($2::text is null or result = $2)
        and ($3::text is null or permission = $3)
        and ($4::uuid is null or user_id = $4::uuid)
        and ($5::uuid is null or api_key_id = $5::uuid)
        and ($6::timestamptz is null or created_at >= $6::timestamptz)
        and ($7::timestamptz is null or created_at < $7::timestamptz)
        and ($8::timestamptz is null or (created_at, id) < ($8::timestamptz, $9::uuid))
      order by created_at desc, id desc limit $10`,
    [tx.tenantId, filter.result ?? null, filter.permission ?? null, filter.user_id ?? null, filter.api_key_id ?? null, filter.from ?? null, filter.to ?? null, before?.at ?? null, before?.id ?? null, limit + 1],
  )
  return rows
}
