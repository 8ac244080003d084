import { getContext, runWithContext, runWithTenant, tryGetContext, TenantContextError, type Actor } from '../../context/index.ts'
import { forEachTenant, withTenant, withTenantAsOwner, withTenantStatement, type Database, type ForEachTenantResult } from '../../db/index.ts'
import { AppError } from '../../errors/index.ts'
import { ChainCheck, type VerifyResult } from './audit-chain.ts'
import { recordAudit } from './audit-log.ts'
import * as repository from './audit.repository.ts'
import type { AuditFilters, AuditRow } from './audit.repository.ts'

// Rows per read while exporting or verifying: each page is its own short transaction, so a long
// log never holds one open, and memory stays at one page whatever the size of the log.
const EXPORT_PAGE = 500
const VERIFY_PAGE = 1000
// DESIGN §3: retention is never below 90 days (the config refuses less; checked again here).
export const MIN_RETENTION_DAYS = 90
const DAY_MS = 86_400_000
// Tenants whose logs are kept and checked: a deleted tenant's log stays until the tenant is purged.
const LOGGED_STATUSES = ['active', 'suspended', 'deleted']
const RETENTION_ACTOR: Actor = { type: 'system', job: 'audit-retention' }

export interface PurgeResult {
  removed: number
  purged_through_seq: number
}

/**
 * The tenant audit log: reading it (filtered, paginated), exporting it as a stream, verifying its
 * hash chain, and applying retention. Appends are recordAudit, called by the module that changes
 * something, in its own transaction.
 */
export class AuditService {
  private readonly db: Database
  private readonly options: { retentionDays: number }

  constructor(
    db: Database,
    options: { retentionDays: number },
  ) {
    this.db = db
    this.options = options
  }

  /** Newest first; `cursor` is the next_cursor of the previous page. */
  async list(options: AuditFilters & { limit?: number; cursor?: string }): Promise<{ data: AuditRow[]; next_cursor: string | null }> {
    const { limit = 50, cursor, ...filters } = options
    assertTimeRange(filters)
    const beforeSeq = decodeSeqCursor(cursor)
    const rows = await withTenantStatement(this.db, (tx) => repository.listEntries(tx, filters, beforeSeq, limit))
    const data = rows.slice(0, limit)
    return { data, next_cursor: rows.length > limit ? encodeSeqCursor(data[data.length - 1]!.seq) : null }
  }

  /**
   * Every matching entry, oldest first, up to the head as it was when the export began. The first
   * page is read (and the export itself recorded) before this returns, so a failure still becomes
   * an error answer; later pages are read as the consumer pulls, one short transaction each.
   */
  async export(filters: AuditFilters): Promise<AsyncIterable<AuditRow>> {
    assertTimeRange(filters)
    // The consumer (a stream) pulls outside the request's async context: keep it for each page.
    const ctx = getContext()
    const { throughSeq, first } = await withTenant(this.db, async (tx) => {
      const through = (await repository.findChainHead(tx))?.last_seq ?? '0'
      const rows = await repository.entriesInOrder(tx, filters, { afterSeq: '0', throughSeq: through }, EXPORT_PAGE)
      await recordAudit(tx, { action: 'audit.exported', resourceType: 'audit_log', changes: { filters: { ...filters }, through_seq: Number(through) } })
      return { throughSeq: through, first: rows }
    })
    const readPage = (afterSeq: string) =>
      runWithContext(ctx, () => withTenantStatement(this.db, (tx) => repository.entriesInOrder(tx, filters, { afterSeq, throughSeq }, EXPORT_PAGE)))
    return (async function* pages() {
      for (let rows = first; ; rows = await readPage(rows[rows.length - 1]!.seq)) {
        yield* rows
        if (rows.length < EXPORT_PAGE) return
      }
    })()
  }

  /**
   * Recomputes every stored entry's hash from its fields and checks the links, from the purge
   * anchor (or GENESIS) to the chain head: an edited, removed or truncated entry is reported by
   * its seq. Read in pages; a purge that commits meanwhile moves the anchor, so a failure is
   * re-checked once the anchor has settled.
   */
  verify(tenantId: string): Promise<VerifyResult> {
    return inTenant(tenantId, async () => {
      for (let attempt = 1; ; attempt++) {
        const result = await this.verifyOnce(tenantId)
        if (result.ok || attempt >= 3) return result
        const head = await withTenantStatement(this.db, (tx) => repository.findChainHead(tx))
        if (Number(head?.purged_through_seq ?? 0) === result.anchor_seq) return result
      }
    })
  }

  /** verify() for every tenant with a log; `onResult` sees each as it completes. */
  verifyAllTenants(onResult: (tenantId: string, result: VerifyResult) => void): Promise<ForEachTenantResult> {
    return forEachTenant(this.db, async (tenantId) => onResult(tenantId, await this.verify(tenantId)), { statuses: LOGGED_STATUSES, actor: { type: 'system', job: 'audit-verify' } })
  }

  /** Retention: removes the tenant's entries older than `retentionDays` (AUDIT_RETENTION_DAYS by default, never below 90). */
  async purgeExpired(tenantId: string, retentionDays = this.options.retentionDays): Promise<PurgeResult> {
    if (!Number.isInteger(retentionDays) || retentionDays < MIN_RETENTION_DAYS) {
      throw new AppError('validation_failed', `audit retention is at least ${MIN_RETENTION_DAYS} days`, { field: 'retentionDays', minimum: MIN_RETENTION_DAYS })
    }
    return this.purgeBefore(tenantId, new Date(Date.now() - retentionDays * DAY_MS))
  }

  /**
   * Removes the tenant's entries created before `before` (the retention floor is purgeExpired's
   * rule; this takes any cutoff). The last removed entry's hash becomes the chain's anchor, and the
   * purge itself is the next entry, so the remaining chain still verifies and shows what happened.
   */
  purgeBefore(tenantId: string, before: Date): Promise<PurgeResult> {
    return inTenant(tenantId, () =>
      // As the owner: removing entries is no path request traffic's role holds (D73).
      withTenantAsOwner(this.db, async (tx) => {
        // The head's row lock serialises purges of one tenant: two at once could otherwise both
        // delete and the one committing last write back the older anchor.
        const head = await repository.findChainHead(tx, { lock: true })
        if (!head) return { removed: 0, purged_through_seq: 0 }
        const removed = await repository.purgeBefore(tx, before)
        if (removed === 0) return { removed, purged_through_seq: Number(head.purged_through_seq) }
        const anchored = Number((await repository.findChainHead(tx))!.purged_through_seq)
        await recordAudit(tx, { action: 'audit.purged', resourceType: 'audit_log', changes: { removed, purged_through_seq: anchored, before: before.toISOString() } })
        return { removed, purged_through_seq: anchored }
      }),
    )
  }

  /** Applies retention to every tenant with a log, each in its own context (the nightly job). */
  async purgeAllTenants(): Promise<ForEachTenantResult & { removed: number }> {
    let removed = 0
    const result = await forEachTenant(this.db, async (tenantId) => {
      removed += (await this.purgeExpired(tenantId)).removed
    }, { statuses: LOGGED_STATUSES, actor: RETENTION_ACTOR })
    return { ...result, removed }
  }

  private async verifyOnce(tenantId: string): Promise<VerifyResult> {
    const state = await withTenantStatement(this.db, (tx) => repository.chainState(tx))
    const check = new ChainCheck(tenantId, state.head, state.witness)
    check.belowAnchor(state.firstSeq)
    while (!check.failed) {
      const range = { afterSeq: check.lastSeq, throughSeq: String(check.headSeq) }
      const rows = await withTenantStatement(this.db, (tx) => repository.entriesInOrder(tx, {}, range, VERIFY_PAGE))
      for (const row of rows) if (!check.next(row)) break
      if (rows.length < VERIFY_PAGE) break
    }
    check.beyondHead(state.lastSeq)
    return check.finish()
  }
}

/**
 * Runs fn in `tenantId`: inside that tenant's context as it is, or (CLI, jobs) in a new one.
 * CAUTION: a context of another tenant is refused, never silently switched.
 */
function inTenant<T>(tenantId: string, fn: () => Promise<T>): Promise<T> {
  const current = tryGetContext()?.tenantId
  if (current === tenantId) return fn()
  if (current !== undefined) return Promise.reject(new TenantContextError(`audit work for tenant ${tenantId} inside the context of tenant ${current}`))
  return runWithTenant(tenantId, fn, { type: 'system', job: 'audit' })
}

function assertTimeRange(filters: AuditFilters): void {
  if (filters.from !== undefined && filters.to !== undefined && Date.parse(filters.from) > Date.parse(filters.to)) {
    throw new AppError('validation_failed', '`from` is after `to`', { field: 'from' })
  }
}

// Keyset cursor over seq: opaque to callers, checked when it comes back.
const encodeSeqCursor = (seq: string) => Buffer.from(`seq:${seq}`, 'utf8').toString('base64url')

function decodeSeqCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined
  const seq = /^seq:(\d{1,18})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))?.[1]
  if (seq === undefined) throw new AppError('validation_failed', 'cursor is not one this API returned', { field: 'cursor' })
  return seq
}
