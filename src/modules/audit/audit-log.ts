import { createHash } from 'node:crypto'
import { tryGetContext, type Actor } from '../../context/index.ts'
import type { TenantTx } from '../../db/index.ts'
import { redact } from './redact.ts'

export interface AuditEntry {
  /** `<resource>.<verb>`, e.g. inventory.item.created, member.updated, config.revealed. */
  action: string
  resourceType: string
  resourceId?: string
  /** A diff or metadata; secrets are redacted before it is stored (redact.ts). */
  changes?: Record<string, unknown>
}

/** The hash every chain starts from. */
export const GENESIS_HASH = Buffer.alloc(32)

export interface ChainedFields {
  tenant_id: string
  seq: string | number
  id: string
  actor_type: string
  actor_id: string | null
  action: string
  resource_type: string
  resource_id: string | null
  request_id: string | null
  ip: string | null
  user_agent: string | null
  changes: unknown
  created_at: string
}

/**
 * SHA-256 over the previous hash and a canonical encoding of the entry. `audit verify`
 * recomputes it from the stored row, so any edit of a stored field breaks the chain there.
 */
export function entryHash(prevHash: Uint8Array, entry: ChainedFields): Buffer {
  const canonical = canonicalJson([
    entry.tenant_id, String(entry.seq), entry.id, entry.actor_type, entry.actor_id, entry.action, entry.resource_type,
    entry.resource_id, entry.request_id, entry.ip, entry.user_agent, entry.changes, entry.created_at,
  ])
  return createHash('sha256').update(prevHash).update(canonical).digest()
}

/** created_at as the hash covers it: UTC, microseconds. Use it when reading entries back to verify. */
export const CREATED_AT_TEXT_SQL = `to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`

/**
 * JSON with object keys sorted at every level: jsonb stores keys in its own order, so the
 * stored `changes` must hash the same as the object that was written.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

/**
 * Appends an entry to the tenant's audit log in the caller's transaction: it commits with the
 * change it describes, or not at all. The chain head's row lock serialises appends per tenant.
 * Actor, request id, ip and user agent come from the request context. Two round trips (lock the
 * head; insert the entry and move the head in one statement), four for a tenant's first entry.
 */
export async function recordAudit(tx: TenantTx, entry: AuditEntry): Promise<void> {
  const ctx = tryGetContext()
  const { actorType, actorId } = describeActor(ctx?.actor)
  const head = await lockChainHead(tx)
  const fields: ChainedFields = {
    tenant_id: tx.tenantId,
    seq: String(BigInt(head.last_seq) + 1n),
    id: crypto.randomUUID(),
    actor_type: actorType,
    actor_id: actorId,
    action: entry.action,
    resource_type: entry.resourceType,
    resource_id: entry.resourceId ?? null,
    request_id: ctx?.requestId ?? null,
    ip: ctx?.ip ?? null,
    user_agent: ctx?.userAgent ?? null,
    // Round-tripped through JSON so the hash sees what jsonb stores (no undefined, dates as strings).
    changes: JSON.parse(JSON.stringify(redact(entry.changes ?? {}))),
    created_at: head.now,
  }
  const hash = entryHash(head.last_hash, fields)
  // A data-modifying WITH runs to completion whether or not the outer statement reads it.
  await tx.query(
    `with appended as (
       insert into audit_log (tenant_id, seq, id, actor_type, actor_id, action, resource_type, resource_id, request_id, ip, user_agent, changes, created_at, prev_hash, hash)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15))
     update audit_chain_heads set last_seq = $2, last_hash = $15 where tenant_id = $1`,
    [fields.tenant_id, fields.seq, fields.id, fields.actor_type, fields.actor_id, fields.action, fields.resource_type, fields.resource_id, fields.request_id, fields.ip, fields.user_agent, JSON.stringify(fields.changes), fields.created_at, head.last_hash, hash],
  )
}

/** Locks and reads the tenant's chain head, creating it (at GENESIS) before the first entry. */
async function lockChainHead(tx: TenantTx): Promise<{ last_seq: string; last_hash: Uint8Array; now: string }> {
  const lock = () =>
    tx.query<{ last_seq: string; last_hash: Uint8Array; now: string }>(
      // The timestamp is fixed here, as text, so the hash covers exactly what is stored.
      `select last_seq::text as last_seq, last_hash, ${CREATED_AT_TEXT_SQL.replace('created_at', 'now()')} as now
         from audit_chain_heads where tenant_id = $1 for update`,
      [tx.tenantId],
    )
  const head = (await lock()).rows[0]
  if (head) return head
  // A concurrent first append may create it first: then this waits for, and locks, theirs.
  await tx.query('insert into audit_chain_heads (tenant_id, last_seq, last_hash) values ($1, 0, $2) on conflict (tenant_id) do nothing', [tx.tenantId, GENESIS_HASH])
  return (await lock()).rows[0]!
}

/** The actor as stored in audit_log, the stock ledger and other per-row actor columns. */
export function describeActor(actor: Actor | undefined): { actorType: 'user' | 'api_key' | 'platform' | 'system'; actorId: string | null } {
  switch (actor?.type) {
    case 'user':
      return { actorType: 'user', actorId: actor.userId }
    case 'api_key':
      return { actorType: 'api_key', actorId: actor.apiKeyId }
    case 'platform':
      return { actorType: 'platform', actorId: actor.userId ?? null }
    default:
      return { actorType: 'system', actorId: null }
  }
}
