// SQL for the tenant audit log and its chain head; every statement filters on tx.tenantId.
// Appends go through recordAudit (audit-log.ts); removal only through tenantry_purge_audit_log.
import type { TenantTx } from '../../db/index.ts'
import { CREATED_AT_TEXT_SQL } from './audit-log.ts'

export type ActorType = 'user' | 'api_key' | 'platform' | 'system'

/** An entry as stored; seq and created_at as text, exactly as the hash covers them. */
export interface AuditRow {
  seq: string
  id: string
  actor_type: ActorType
  actor_id: string | null
  action: string
  resource_type: string
  resource_id: string | null
  request_id: string | null
  ip: string | null
  user_agent: string | null
  changes: unknown
  created_at: string
  prev_hash: Uint8Array
  hash: Uint8Array
}

export interface ChainHeadRow {
  last_seq: string
  last_hash: Uint8Array
  purged_through_seq: string
  purged_through_hash: Uint8Array | null
}

/** The chain as the owner's trigger last saw it (migration 0011), out of the app role's reach. */
export interface ChainWitnessRow {
  last_seq: string
  last_hash: Uint8Array
  purged_through_seq: string
  purged_through_hash: Uint8Array | null
}

export interface AuditFilters {
  actor_type?: ActorType
  actor_id?: string
  /** Exact, or a prefix when it ends with `.` or `.*` (`inventory.` matches inventory.item.created). */
  action?: string
  resource_type?: string
  resource_id?: string
  /** Inclusive lower bound on created_at (ISO 8601). */
  from?: string
  /** Exclusive upper bound on created_at (ISO 8601). */
  to?: string
}

// CAUTION: `seq` is selected as text under its own name, so ORDER BY must name audit_log.seq
// (a bare `seq` there sorts the text alias: 10 before 9).
const COLUMNS = `seq::text as seq, id, actor_type, actor_id, action, resource_type, resource_id, request_id, ip, user_agent, changes,
  ${CREATED_AT_TEXT_SQL} as created_at, prev_hash, hash`

/** Newest first, keyset on seq (per-tenant and monotonic); `limit + 1` rows tell whether more exist. */
export async function listEntries(tx: TenantTx, filters: AuditFilters, beforeSeq: string | undefined, limit: number): Promise<AuditRow[]> {
  const params: unknown[] = [tx.tenantId]
  const conditions = filterConditions(filters, params)
  if (beforeSeq !== undefined) conditions.push(`seq < $${params.push(beforeSeq)}::bigint`)
  const { rows } = await tx.query<AuditRow>(
    `select ${COLUMNS} from audit_log where tenant_id = $1${conditions.map((c) => ` and ${c}`).join('')} order by audit_log.seq desc limit $${params.push(limit + 1)}`,
    params,
  )
  return rows
}

/** Oldest first from afterSeq, up to throughSeq: export and verification read the log in pages. */
export async function entriesInOrder(tx: TenantTx, filters: AuditFilters, range: { afterSeq: string; throughSeq: string }, limit: number): Promise<AuditRow[]> {
  const params: unknown[] = [tx.tenantId, range.afterSeq, range.throughSeq]
  const conditions = filterConditions(filters, params)
  const { rows } = await tx.query<AuditRow>(
    `select ${COLUMNS} from audit_log where tenant_id = $1 and seq > $2::bigint and seq <= $3::bigint${conditions.map((c) => ` and ${c}`).join('')}
      order by audit_log.seq limit $${params.push(limit)}`,
    params,
  )
  return rows
}

/** The chain head, or undefined when the tenant has never had an entry. `lock` serialises purges. */
export async function findChainHead(tx: TenantTx, options: { lock?: boolean } = {}): Promise<ChainHeadRow | undefined> {
  const { rows } = await tx.query<ChainHeadRow>(
    `select last_seq::text as last_seq, last_hash, purged_through_seq::text as purged_through_seq, purged_through_hash
       from audit_chain_heads where tenant_id = $1${options.lock ? ' for update' : ''}`,
    [tx.tenantId],
  )
  return rows[0]
}

export interface ChainState {
  head: ChainHeadRow | undefined
  /** Undefined for a tenant without entries, or whose chain began before migration 0011 and was not backfilled. */
  witness: ChainWitnessRow | undefined
  firstSeq: string | undefined
  lastSeq: string | undefined
}

/**
 * The head and its witness with the lowest and highest seq stored, in one statement (one
 * snapshot): an append moves the head, adds its entry and (by trigger) moves the witness in one
 * transaction, so they can only disagree if tampered with.
 */
export async function chainState(tx: TenantTx): Promise<ChainState> {
  type Row = Partial<ChainHeadRow> & { first_seq: string | null; stored_seq: string | null } & { [K in keyof ChainWitnessRow as `w_${K}`]: ChainWitnessRow[K] | null }
  const { rows } = await tx.query<Row>(
    `select h.last_seq::text as last_seq, h.last_hash, h.purged_through_seq::text as purged_through_seq, h.purged_through_hash,
            w.last_seq::text as w_last_seq, w.last_hash as w_last_hash, w.purged_through_seq::text as w_purged_through_seq, w.purged_through_hash as w_purged_through_hash,
            (select min(seq)::text from audit_log where tenant_id = $1) as first_seq,
            (select max(seq)::text from audit_log where tenant_id = $1) as stored_seq
       from (select 1) as one left join audit_chain_heads h on h.tenant_id = $1 left join audit_chain_witnesses w on w.tenant_id = $1`,
    [tx.tenantId],
  )
  const { first_seq, stored_seq, w_last_seq, w_last_hash, w_purged_through_seq, w_purged_through_hash, ...head } = rows[0]!
  return {
    head: head.last_seq == null ? undefined : (head as ChainHeadRow),
    witness: w_last_seq == null ? undefined : { last_seq: w_last_seq, last_hash: w_last_hash!, purged_through_seq: w_purged_through_seq!, purged_through_hash: w_purged_through_hash },
    firstSeq: first_seq ?? undefined,
    lastSeq: stored_seq ?? undefined,
  }
}

/**
 * Removes the tenant's entries created before `before` through the SECURITY DEFINER function
 * (the app role has no DELETE on audit_log, nor EXECUTE on it: call it as the owner, D73); it
 * records the last removed entry as the anchor, on the head and its witness.
 */
export async function purgeBefore(tx: TenantTx, before: Date): Promise<number> {
  const { rows } = await tx.query<{ removed: string | number }>('select tenantry_purge_audit_log($1, $2) as removed', [tx.tenantId, before.toISOString()])
  return Number(rows[0]!.removed)
}

function filterConditions(filters: AuditFilters, params: unknown[]): string[] {
  const conditions: string[] = []
  const add = (sql: (ref: string) => string, value: unknown) => conditions.push(sql(`$${params.push(value)}`))
  if (filters.actor_type !== undefined) add((p) => `actor_type = ${p}`, filters.actor_type)
  if (filters.actor_id !== undefined) add((p) => `actor_id = ${p}`, filters.actor_id)
  if (filters.action !== undefined) {
    const prefix = actionPrefix(filters.action)
    if (prefix === undefined) add((p) => `action = ${p}`, filters.action)
    // starts_with, not LIKE: action names contain `_`, a LIKE wildcard.
    else add((p) => `starts_with(action, ${p})`, prefix)
  }
  if (filters.resource_type !== undefined) add((p) => `resource_type = ${p}`, filters.resource_type)
  if (filters.resource_id !== undefined) add((p) => `resource_id = ${p}`, filters.resource_id)
  if (filters.from !== undefined) add((p) => `created_at >= ${p}::timestamptz`, filters.from)
  if (filters.to !== undefined) add((p) => `created_at < ${p}::timestamptz`, filters.to)
  return conditions
}

function actionPrefix(action: string): string | undefined {
  if (action.endsWith('.*')) return action.slice(0, -1)
  if (action.endsWith('.')) return action
  return undefined
}
