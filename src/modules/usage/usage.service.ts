import { runWithTenant, TenantContextError, tryGetContext, type Actor } from '../../context/index.ts'
import { tenantTables, withSystem, withTenant, withTenantStatement, type Database } from '../../db/index.ts'
import type { PlanDefaults, PlanName } from '../plans/index.ts'
import * as repository from './usage.repository.ts'
import { addCounts, zeroCounts, type UsageCounts, type UsageMeter } from './usage-meter.ts'

export const TIME_RANGES = { '7d': 7, '30d': 30, '90d': 90 } as const
export type TimeRange = keyof typeof TIME_RANGES

const DAY_MS = 86_400_000
const FLUSH_ACTOR: Actor = { type: 'system', job: 'usage-flush' }

/** What a report needs of the tenant (a TenantRow or the access plugin's record with its config). */
export interface TenantForUsage {
  id: string
  plan: PlanName
  configuration: PlanDefaults
}

export interface UsageDay extends UsageCounts {
  day: string
  items: number | null
  users: number | null
  storage_bytes: number | null
}

export interface LimitUse {
  limit: number | null
  used: number | null
  remaining: number | null
  /** used / limit × 100, one decimal; null when unlimited or unknown. */
  percent: number | null
}

export interface UsageReport {
  tenant_id: string
  plan: PlanName
  time_range: TimeRange
  from: string
  to: string
  series: UsageDay[]
  totals: UsageCounts
  current: { users: number; items: number; storage_bytes: number | null; storage_measured_at: string | null }
  limits: { api_requests_per_day: LimitUse; max_users: LimitUse; max_items: LimitUse; storage_bytes: LimitUse }
  /** Today's counts include this instance's not-yet-flushed ones; other instances' arrive with their next flush. */
  includes_unflushed: boolean
}

/**
 * Usage reports (daily series against the plan's limits), the daily snapshot of items, users and
 * storage, and the writer the meter flushes through.
 */
export class UsageService {
  private storageTables: Promise<string[]> | undefined

  private readonly db: Database
  readonly meter: UsageMeter

  constructor(
    db: Database,
    meter: UsageMeter,
  ) {
    this.db = db
    this.meter = meter
  }

  /** The meter's writer: one single-statement transaction in the tenant's own context. */
  static writer(db: Database) {
    return (tenantId: string, day: string, counts: UsageCounts) =>
      runWithTenant(tenantId, () => withTenantStatement(db, (tx) => repository.addCounts(tx, day, counts)), FLUSH_ACTOR)
  }

  /** Retention: deletes the tenant's days before `day` (YYYY-MM-DD) in its own context. */
  purgeBefore(tenantId: string, day: string): Promise<number> {
    return inTenant(tenantId, () => withTenantStatement(this.db, (tx) => repository.deleteDaysBefore(tx, day)))
  }

  async report(tenant: TenantForUsage, range: TimeRange, now = Date.now()): Promise<UsageReport> {
    const days = TIME_RANGES[range]
    const to = utcDay(now)
    const from = utcDay(now - (days - 1) * DAY_MS)
    const { rows, live, snapshot } = await inTenant(tenant.id, () =>
      withTenant(this.db, async (tx) => ({
        rows: await repository.daysBetween(tx, from, to),
        live: await repository.liveCounts(tx),
        snapshot: await repository.latestSnapshot(tx),
      })),
    )
    const series = zeroFilled(from, days, rows, this.meter.unflushed(tenant.id))
    const totals = series.reduce((sum, day) => addCounts(sum, day), zeroCounts())
    const limits = tenant.configuration.limits
    const storageLimit = storageLimitOf(tenant.configuration)
    return {
      tenant_id: tenant.id,
      plan: tenant.plan,
      time_range: range,
      from,
      to,
      series,
      totals,
      current: { users: live.users, items: live.items, storage_bytes: snapshot?.storage_bytes ?? null, storage_measured_at: snapshot?.snapshot_at.toISOString() ?? null },
      limits: {
        api_requests_per_day: limitUse(limits.api_requests_per_day, series[series.length - 1]!.requests),
        max_users: limitUse(limits.max_users, live.users),
        max_items: limitUse(limits.max_items, live.items),
        storage_bytes: limitUse(storageLimit, snapshot?.storage_bytes ?? null),
      },
      includes_unflushed: true,
    }
  }

  /** Today's counts for one tenant: every instance's flushed ones plus this instance's pending ones. */
  async today(tenantId: string, now = Date.now()): Promise<UsageCounts & { storage_bytes: number | null; storage_measured_at: Date | null }> {
    const day = utcDay(now)
    const { rows, snapshot } = await inTenant(tenantId, () =>
      withTenant(this.db, async (tx) => ({ rows: await repository.daysBetween(tx, day, day), snapshot: await repository.latestSnapshot(tx) })),
    )
    const counts = addCounts(zeroCounts(), rows[0] ?? zeroCounts())
    addCounts(counts, this.meter.unflushed(tenantId).get(day) ?? zeroCounts())
    return { ...counts, storage_bytes: snapshot?.storage_bytes ?? null, storage_measured_at: snapshot?.snapshot_at ?? null }
  }

  /** Records today's items, users and estimated storage for the tenant in context (the snapshot job). */
  async snapshot(tenantId: string, now = Date.now()): Promise<repository.Snapshot> {
    const tables = await this.tablesForStorage()
    return inTenant(tenantId, () =>
      withTenant(this.db, async (tx) => {
        const live = await repository.liveCounts(tx)
        const snapshot = { ...live, storage_bytes: await repository.estimateStorageBytes(tx, tables) }
        await repository.saveSnapshot(tx, utcDay(now), snapshot)
        return snapshot
      }),
    )
  }

  /** Looked up once per process: the catalog does not change under a running release. */
  private tablesForStorage(): Promise<string[]> {
    this.storageTables ??= withSystem(this.db, (tx) => repository.readableTables(tx, tenantTables())).catch((error: unknown) => {
      this.storageTables = undefined
      throw error
    })
    return this.storageTables
  }
}

/**
 * Runs fn in `tenantId`: in the caller's context when it is that tenant's, else (operator routes,
 * jobs) in a new one. CAUTION: a context of another tenant is refused, never silently switched.
 */
function inTenant<T>(tenantId: string, fn: () => Promise<T>): Promise<T> {
  const current = tryGetContext()?.tenantId
  if (current === tenantId) return fn()
  if (current !== undefined) return Promise.reject(new TenantContextError(`usage of tenant ${tenantId} inside the context of tenant ${current}`))
  return runWithTenant(tenantId, fn)
}

export function utcDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10)
}

/** Every day of the range, counters zero when nothing was counted, snapshot values null when none was taken. */
function zeroFilled(from: string, days: number, rows: repository.UsageDayRow[], unflushed: Map<string, UsageCounts>): UsageDay[] {
  const stored = new Map(rows.map((row) => [row.day, row]))
  const start = Date.parse(`${from}T00:00:00Z`)
  return Array.from({ length: days }, (_, index) => {
    const day = utcDay(start + index * DAY_MS)
    const row = stored.get(day)
    const counts = addCounts(zeroCounts(), row ?? zeroCounts())
    addCounts(counts, unflushed.get(day) ?? zeroCounts())
    return { day, ...counts, items: row?.items ?? null, users: row?.users ?? null, storage_bytes: row?.storage_bytes ?? null }
  })
}

function limitUse(limit: number | null, used: number | null): LimitUse {
  if (limit === null || used === null) return { limit, used, remaining: null, percent: null }
  return { limit, used, remaining: Math.max(0, limit - used), percent: limit === 0 ? null : Math.round((used / limit) * 1000) / 10 }
}

/** The plan's (or the tenant's override of) `max_storage_bytes`; null = unlimited. */
export function storageLimitOf(configuration: PlanDefaults): number | null {
  return configuration.limits.max_storage_bytes
}
