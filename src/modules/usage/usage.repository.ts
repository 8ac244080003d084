// SQL for usage_daily and the snapshot's counts. Every statement filters on tx.tenantId.
import type { Queryable, TenantTx } from '../../db/index.ts'
import type { UsageCounts } from './usage-meter.ts'

export interface UsageDayRow extends UsageCounts {
  day: string
  items: number | null
  users: number | null
  storage_bytes: number | null
  snapshot_at: Date | null
}

export interface Snapshot {
  items: number
  users: number
  storage_bytes: number
}

/** Adds a flush's counts to the tenant's row of the day (created on first write). */
export async function addCounts(tx: TenantTx, day: string, counts: UsageCounts): Promise<void> {
  await tx.query(
    `insert into usage_daily (tenant_id, day, requests, errors, client_errors, webhook_deliveries) values ($1, $2, $3, $4, $5, $6)
     on conflict (tenant_id, day) do update set
       requests = usage_daily.requests + excluded.requests, errors = usage_daily.errors + excluded.errors,
       client_errors = usage_daily.client_errors + excluded.client_errors,
       webhook_deliveries = usage_daily.webhook_deliveries + excluded.webhook_deliveries, updated_at = now()`,
    [tx.tenantId, day, counts.requests, counts.errors, counts.client_errors, counts.webhook_deliveries],
  )
}

/** Sets the day's snapshot (the latest of the day wins); the counters are left alone. */
export async function saveSnapshot(tx: TenantTx, day: string, snapshot: Snapshot): Promise<void> {
  await tx.query(
    `insert into usage_daily (tenant_id, day, items, users, storage_bytes, snapshot_at) values ($1, $2, $3, $4, $5, now())
     on conflict (tenant_id, day) do update set
       items = excluded.items, users = excluded.users, storage_bytes = excluded.storage_bytes, snapshot_at = now(), updated_at = now()`,
    [tx.tenantId, day, snapshot.items, snapshot.users, snapshot.storage_bytes],
  )
}

/** Deletes the tenant's days before `day` (retention); returns how many went. */
export async function deleteDaysBefore(tx: TenantTx, day: string): Promise<number> {
  const { rowCount } = await tx.query('delete from usage_daily where tenant_id = $1 and day < $2::date', [tx.tenantId, day])
  return rowCount ?? 0
}

/** The stored days between `from` and `to` (inclusive); days without a row are absent. */
export async function daysBetween(tx: TenantTx, from: string, to: string): Promise<UsageDayRow[]> {
  const { rows } = await tx.query<UsageDayRow>(
    `select to_char(day, 'YYYY-MM-DD') as day, requests::float8 as requests, errors::float8 as errors,
            client_errors::float8 as client_errors, webhook_deliveries::float8 as webhook_deliveries,
            items, users, storage_bytes::float8 as storage_bytes, snapshot_at
       from usage_daily where tenant_id = $1 and day between $2::date and $3::date order by day`,
    [tx.tenantId, from, to],
  )
  return rows
}

/** The most recent snapshot, whatever its day. */
export async function latestSnapshot(tx: TenantTx): Promise<(Snapshot & { snapshot_at: Date }) | undefined> {
  const { rows } = await tx.query<Snapshot & { snapshot_at: Date }>(
    `select items, users, storage_bytes::float8 as storage_bytes, snapshot_at from usage_daily
      where tenant_id = $1 and snapshot_at is not null order by day desc limit 1`,
    [tx.tenantId],
  )
  return rows[0]
}

/** Members (invited ones hold a seat, as for max_users) and inventory items, counted now. */
export async function liveCounts(tx: TenantTx): Promise<{ users: number; items: number }> {
  const { rows } = await tx.query<{ users: number; items: number }>(
    `select (select count(*)::int from tenant_users where tenant_id = $1) as users,
            (select count(*)::int from inventory_items where tenant_id = $1) as items`,
    [tx.tenantId],
  )
  return rows[0]!
}

// Rows per table whose average size stands for all of the tenant's rows in it: bounds the cost
// of a snapshot for a large tenant to a count (on the tenant_id-leading index) plus this many rows.
export const STORAGE_SAMPLE_ROWS = 1000

/**
 * Estimated bytes of the tenant's rows: for each table, the tenant's row count times the average
 * pg_column_size of up to STORAGE_SAMPLE_ROWS of its rows. Row data only (as stored, compressed
 * values counted compressed); indexes, dead tuples and page overhead are not attributed.
 * `tables` come from the table registry, never from input. One statement, one round trip.
 */
export async function estimateStorageBytes(tx: TenantTx, tables: readonly string[]): Promise<number> {
  if (tables.length === 0) return 0
  const parts = tables.map(
    (table) => `select count(*)::float8 * (select coalesce(avg(pg_column_size(s.*)), 0)::float8
                 from (select * from ${table} where tenant_id = $1 limit ${STORAGE_SAMPLE_ROWS}) s) as bytes
                from ${table} where tenant_id = $1`,
  )
  const { rows } = await tx.query<{ bytes: number | null }>(`select coalesce(sum(bytes), 0)::float8 as bytes from (${parts.join(' union all ')}) t`, [tx.tenantId])
  return Math.round(rows[0]?.bytes ?? 0)
}

/**
 * The registry's tenant tables that exist and that the app role may read: a table added by a
 * newer release, or one the role cannot see, is left out rather than failing every snapshot.
 * Table names travel as parameters, so this is a statement on the catalog only.
 */
export async function readableTables(tx: Queryable, tables: readonly string[]): Promise<string[]> {
  const { rows } = await tx.query<{ name: string }>(
    `select t as name from unnest($1::text[]) with ordinality as u (t, n)
      where to_regclass(t) is not null and has_table_privilege(to_regclass(t), 'select') order by n`,
    [tables],
  )
  return rows.map((row) => row.name)
}
