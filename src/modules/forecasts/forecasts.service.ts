import { withTenant, type Database, type TenantTx } from '../../db/index.ts'
import { notFound } from '../../errors/index.ts'
import { recordAudit } from '../audit/index.ts'
import { emitDomainEvent } from '../events/index.ts'
import { presentForecast } from './forecasts.presenter.ts'
import * as repository from './forecasts.repository.ts'
import type { StoredForecast } from './forecasts.repository.ts'
import { fillHistory, simpleMovingAverage, windowDays, type DemandDay, type MovingAverageForecast } from './moving-average.ts'

export const DEFAULT_WINDOW_DAYS = 30
export const DEFAULT_HORIZON_DAYS = 30

export interface ForecastOptions {
  windowDays?: number
  horizonDays?: number
}

export interface Forecast extends MovingAverageForecast {
  item_id: string
  history: DemandDay[]
  computed_at: Date
}

/**
 * Demand forecasts from order history. GET computes live (always current, writes nothing);
 * recompute stores a snapshot per item and announces the ones whose numbers changed
 * (forecast.updated), for webhook receivers and the tenant export.
 */
export class ForecastsService {
  private readonly db: Database

  constructor(db: Database) {
    this.db = db
  }

  forecast(itemId: string, options: ForecastOptions = {}): Promise<Forecast> {
    return withTenant(this.db, async (tx) => {
      const [id] = await repository.existingItemIds(tx, [itemId])
      if (!id) throw notFound('inventory item', itemId)
      const [forecast] = await computeForecasts(tx, [id], options)
      return forecast!
    })
  }

  /** For the given items, or every item of the tenant; one transaction, one audit entry. */
  recompute(input: { itemIds?: string[] } & ForecastOptions): Promise<{ recomputed: number; changed: number; window_days: number; horizon_days: number; computed_at: Date }> {
    return withTenant(this.db, async (tx) => {
      const ids = await repository.existingItemIds(tx, input.itemIds)
      const missing = input.itemIds?.find((requested) => !ids.includes(requested.toLowerCase()))
      if (missing) throw notFound('inventory item', missing)
      const forecasts = await computeForecasts(tx, ids, input)
      const previous = new Map((await repository.storedForecasts(tx, ids)).map((stored) => [stored.item_id, stored]))
      await repository.upsertForecasts(tx, forecasts)
      const changed = forecasts.filter((forecast) => hasChanged(previous.get(forecast.item_id), forecast))
      for (const forecast of changed) await emitDomainEvent(tx, 'forecast.updated', { forecast: presentForecast(forecast) })
      const summary = {
        recomputed: forecasts.length, changed: changed.length,
        window_days: input.windowDays ?? DEFAULT_WINDOW_DAYS, horizon_days: input.horizonDays ?? DEFAULT_HORIZON_DAYS,
      }
      await recordAudit(tx, { action: 'forecasts.recomputed', resourceType: 'forecast', changes: { ...summary, item_ids: input.itemIds ?? 'all' } })
      return { ...summary, computed_at: forecasts[0]?.computed_at ?? (await repository.utcToday(tx)).now }
    })
  }
}

async function computeForecasts(tx: TenantTx, itemIds: string[], options: ForecastOptions): Promise<Forecast[]> {
  const windowLength = options.windowDays ?? DEFAULT_WINDOW_DAYS
  const horizon = options.horizonDays ?? DEFAULT_HORIZON_DAYS
  if (itemIds.length === 0) return []
  const { today, now } = await repository.utcToday(tx)
  const days = windowDays(today, windowLength)
  const demand = new Map<string, Map<string, number>>()
  for (const row of await repository.dailyDemand(tx, itemIds, today, windowLength)) {
    demand.set(row.item_id, (demand.get(row.item_id) ?? new Map()).set(row.date, row.quantity))
  }
  return itemIds.map((itemId) => {
    const history = fillHistory(days, demand.get(itemId) ?? new Map())
    return { item_id: itemId, ...simpleMovingAverage(history, horizon), history, computed_at: now }
  })
}

/** A forecast is news when its numbers or its parameters differ from the stored one. */
function hasChanged(stored: StoredForecast | undefined, forecast: Forecast): boolean {
  if (!stored) return true
  return stored.method !== forecast.method || stored.window_days !== forecast.window_days || stored.horizon_days !== forecast.horizon_days
    || Number(stored.average_daily) !== forecast.average_daily || Number(stored.forecast_quantity) !== forecast.forecast_quantity
}
