// SQL for demand history and stored forecasts. Demand is read from orders and their lines (the
// reference domain's own tables); every statement filters on tx.tenantId explicitly.
import type { TenantTx } from '../../db/index.ts'

export interface StoredForecast {
  item_id: string
  method: string
  window_days: number
  horizon_days: number
  /** numeric columns arrive as decimal text */
  average_daily: string
  forecast_quantity: string
  computed_at: Date
}

export interface NewForecast {
  item_id: string
  method: string
  window_days: number
  horizon_days: number
  average_daily: number
  forecast_quantity: number
  history: { date: string; quantity: number }[]
}

/** The database's clock, so the window's days and the query's bounds cannot disagree at midnight. */
export async function utcToday(tx: TenantTx): Promise<{ today: string; now: Date }> {
  const { rows } = await tx.query<{ today: string; now: Date }>(`select to_char(now() at time zone 'UTC', 'YYYY-MM-DD') as today, now() as now`)
  return rows[0]!
}

/**
 * Units ordered per item and UTC day over the `days` ending with `today`; orders that were
 * cancelled are not demand. Days without orders are absent (the caller zero-fills).
 */
export async function dailyDemand(tx: TenantTx, itemIds: string[], today: string, days: number): Promise<{ item_id: string; date: string; quantity: number }[]> {
  const { rows } = await tx.query<{ item_id: string; date: string; quantity: number }>(
    `select l.item_id, to_char(o.created_at at time zone 'UTC', 'YYYY-MM-DD') as date, sum(l.quantity)::int as quantity
       from order_lines l join orders o on o.tenant_id = l.tenant_id and o.id = l.order_id
      where l.tenant_id = $1 and l.item_id = any($2::uuid[]) and o.status <> 'cancelled'
        and o.created_at >= ($3::date - ($4::int - 1))::timestamp at time zone 'UTC'
        and o.created_at < ($3::date + 1)::timestamp at time zone 'UTC'
      group by 1, 2`,
    [tx.tenantId, itemIds, today, days],
  )
  return rows
}

/** The ids among `itemIds` that are the tenant's items (all of them when itemIds is undefined). */
export async function existingItemIds(tx: TenantTx, itemIds: string[] | undefined): Promise<string[]> {
  const { rows } = await tx.query<{ id: string }>(
    'select id from inventory_items where tenant_id = $1 and ($2::uuid[] is null or id = any($2::uuid[])) order by id',
    [tx.tenantId, itemIds ?? null],
  )
  return rows.map((row) => row.id)
}

export async function storedForecasts(tx: TenantTx, itemIds: string[]): Promise<StoredForecast[]> {
  const { rows } = await tx.query<StoredForecast>(
    `select item_id, method, window_days, horizon_days, average_daily, forecast_quantity, computed_at
       from forecasts where tenant_id = $1 and item_id = any($2::uuid[])`,
    [tx.tenantId, itemIds],
  )
  return rows
}

/** Inserts or replaces the forecasts of several items in one statement. */
export async function upsertForecasts(tx: TenantTx, forecasts: NewForecast[]): Promise<void> {
  if (forecasts.length === 0) return
  await tx.query(
    `insert into forecasts (tenant_id, item_id, method, window_days, horizon_days, average_daily, forecast_quantity, history, computed_at)
     select $1, f.item_id, f.method, f.window_days, f.horizon_days, f.average_daily, f.forecast_quantity, f.history, now()
       from unnest($2::uuid[], $3::text[], $4::int[], $5::int[], $6::numeric[], $7::numeric[], $8::jsonb[])
            as f (item_id, method, window_days, horizon_days, average_daily, forecast_quantity, history)
     on conflict (tenant_id, item_id) do update set
       method = excluded.method, window_days = excluded.window_days, horizon_days = excluded.horizon_days,
       average_daily = excluded.average_daily, forecast_quantity = excluded.forecast_quantity,
       history = excluded.history, computed_at = excluded.computed_at`,
    [
      tx.tenantId,
      forecasts.map((f) => f.item_id),
      forecasts.map((f) => f.method),
      forecasts.map((f) => f.window_days),
      forecasts.map((f) => f.horizon_days),
      forecasts.map((f) => f.average_daily),
      forecasts.map((f) => f.forecast_quantity),
      forecasts.map((f) => JSON.stringify(f.history)),
    ],
  )
}
